import sys
import time
from typing import Optional

from mmengine.hooks import Hook
from mmengine.runner import BaseLoop, EpochBasedTrainLoop
from mmpretrain.registry import HOOKS


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f'{hours}:{minutes:02d}:{seconds:02d}' if hours else \
        f'{minutes}:{seconds:02d}'


@HOOKS.register_module()
class ConsoleProgressHook(Hook):
    """A person's view of a training run: progress, ETA, validation top-1.

    Prints one line per validation during training, e.g.
    ``epoch 5/60  top-1 81.23 (best 81.23)  0:42 elapsed, ETA 7:30``, and,
    when the console is a terminal, a progress bar rewritten in place
    between them. ``ConsoleRunner`` registers it and keeps mmengine's
    INFO records (environment, config, a line per logging interval) in the
    run's log file only.

    Args:
        metric (str): The validation metric shown. Defaults to
            ``'accuracy/top1'``; a run without it shows its metrics as
            they come.
        refresh_s (float): Seconds between redraws of the bar. Defaults
            to 1.0.
    """

    priority = 'VERY_LOW'

    def __init__(self, metric: str = 'accuracy/top1',
                 refresh_s: float = 1.0):
        self.metric = metric
        self.refresh_s = refresh_s
        self._start = self._start_iter = self._drawn = 0
        self._best: Optional[float] = None
        self._bar = False

    def before_train(self, runner) -> None:
        self._start = self._drawn = time.perf_counter()
        self._start_iter = runner.iter
        self._best = None

    def _position(self, runner) -> str:
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            return f'epoch {runner.epoch}/{runner.max_epochs}'
        return f'iter {runner.iter}/{runner.max_iters}'

    def _timing(self, runner) -> str:
        elapsed = time.perf_counter() - self._start
        done = runner.iter - self._start_iter
        if done <= 0:
            return f'{_clock(elapsed)} elapsed'
        eta = elapsed / done * (runner.max_iters - runner.iter)
        return f'{_clock(elapsed)} elapsed, ETA {_clock(eta)}'

    def _write(self, text: str, newline: bool = True) -> None:
        stream = sys.stdout
        if self._bar:  # clear the bar before a line or the next bar
            stream.write('\r\033[K')
            self._bar = False
        stream.write(text + ('\n' if newline else ''))
        stream.flush()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        now = time.perf_counter()
        if runner.rank != 0 or not sys.stdout.isatty() or \
                now - self._drawn < self.refresh_s:
            return
        self._drawn = now
        share = runner.iter / max(runner.max_iters, 1)
        filled = int(share * 30)
        self._write(f'  [{"#" * filled}{"." * (30 - filled)}] '
                    f'{100 * share:3.0f}%  {self._position(runner)}  '
                    f'{self._timing(runner)}', newline=False)
        self._bar = True

    def after_val_epoch(self, runner, metrics: Optional[dict] = None
                        ) -> None:
        # ``runner.train_loop`` would build the train loop under a plain
        # ``runner.val()``: only validations during training are shown.
        if runner.rank != 0 or not isinstance(runner._train_loop,
                                              BaseLoop) or not metrics:
            return
        if self.metric in metrics:
            value = float(metrics[self.metric])
            self._best = value if self._best is None else max(self._best,
                                                              value)
            shown = f'top-1 {value:.2f} (best {self._best:.2f})'
        else:
            shown = '  '.join(f'{k} {v}' for k, v in metrics.items())
        self._write(f'  {self._position(runner)}  {shown}  '
                    f'{self._timing(runner)}')

    def after_train(self, runner) -> None:
        if self._bar:
            self._write(f'  {self._position(runner)}  {self._timing(runner)}')
