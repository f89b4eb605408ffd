import logging

from mmengine.runner import Runner
from mmpretrain.registry import RUNNERS

from ..hooks import ConsoleProgressHook

#: mmengine's notices that every run prints whatever its config (its own
#: deprecations): kept in the log file, not shown on the console.
HARMLESS = ('"FileClient" will be deprecated',
            '"HardDiskBackend" is the alias of',
            '`save_param_scheduler` is True but')


def _shown(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(HARMLESS)


def quiet_console(logger: logging.Logger) -> logging.Logger:
    """Show warnings and errors only on ``logger``'s console handler.

    Its file handler, if any, keeps every record.

    Args:
        logger (logging.Logger): e.g. an ``MMLogger``.

    Returns:
        logging.Logger: ``logger``.
    """
    for handler in logger.handlers:
        # The console handler only: a FileHandler is a StreamHandler.
        if type(handler) is logging.StreamHandler:
            handler.setLevel(max(handler.level, logging.WARNING))
            if _shown not in handler.filters:
                handler.addFilter(_shown)
    return logger


@RUNNERS.register_module()
class ConsoleRunner(Runner):
    """mmengine's ``Runner`` for a person at a console.

    mmengine's logger prints every INFO record to the console: the
    environment, the whole config, a line per logging interval. This runner
    keeps them all in the run's log file
    (``<work_dir>/<timestamp>/<timestamp>.log``) and shows on the console
    only warnings and errors (less mmengine's own deprecation notices,
    :data:`HARMLESS`), with a :class:`ConsoleProgressHook` (progress bar,
    validation top-1, ETA). ``tools/compact.py`` trains its stages
    with it (``runner_type='ConsoleRunner'``) unless run with ``-v``.
    """

    def build_logger(self, log_level='INFO', log_file=None, **kwargs):
        return quiet_console(
            super().build_logger(log_level, log_file, **kwargs))

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        super().register_hooks(default_hooks, custom_hooks)
        self.register_hook(ConsoleProgressHook())
