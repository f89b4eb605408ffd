"""Test-only hooks that kill a training run, as a crash would.

Test configs import this module (``custom_imports``) to interrupt a real
``tools/train.py`` run at an exact point: the process ends on a signal
whose default action is to terminate, so no ``finally``, ``atexit`` or hook
cleanup runs. Killing from inside the run makes the point exact, unlike a
signal sent by the test from outside.
"""
import os
import resource
import signal

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class SigkillHook(Hook):
    """``kill -9`` the process after iteration ``iters`` of epoch ``epoch``.

    Args:
        epoch (int): The epoch, counted from 1.
        iters (int): Training iterations of that epoch done before the
            kill, counted from 1.
    """

    def __init__(self, epoch: int, iters: int) -> None:
        self.epoch = epoch
        self.iters = iters

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.epoch + 1 == self.epoch and batch_idx + 1 == self.iters:
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class KillWhileSavingHook(Hook):
    """Kill the process half-way through writing a checkpoint's bytes.

    Before the checkpoint of epoch ``epoch`` is written, the process may
    write files of ``max_bytes`` at most (``RLIMIT_FSIZE``) and SIGXFSZ gets
    its default action back (Python ignores it): the write that crosses the
    limit kills the process, as a crash in the middle of a save would. The
    run's log file stays below the limit.

    Args:
        epoch (int): The epoch whose checkpoint is cut, counted from 1.
        max_bytes (int): Where the write is cut.
    """

    def __init__(self, epoch: int, max_bytes: int) -> None:
        self.epoch = epoch
        self.max_bytes = max_bytes

    def before_save_checkpoint(self, runner, checkpoint) -> None:
        if checkpoint['meta']['epoch'] == self.epoch:
            # SIGXFSZ's default action dumps core: no core file.
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            resource.setrlimit(resource.RLIMIT_FSIZE,
                               (self.max_bytes, self.max_bytes))
