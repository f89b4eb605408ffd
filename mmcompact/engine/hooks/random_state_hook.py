import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


def get_random_states() -> dict:
    """The states of Python's, numpy's and torch's global generators.

    Plain types and tensors only, so that checkpoints holding them load with
    torch's ``weights_only=True`` without widening the allow-list.

    Returns:
        dict: ``python``, ``numpy``, ``torch`` and, once CUDA is in use,
        ``cuda`` (one state per visible device).
    """
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    states = dict(
        python=random.getstate(),
        numpy=(kind, keys.tolist(), pos, has_gauss, gauss),
        torch=torch.get_rng_state())
    # A CUDA generator never initialised is still in its seeded state, which
    # the resumed run's seeding reproduces; asking would initialise CUDA.
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_random_states(states: dict) -> None:
    """Restore the generators from :func:`get_random_states`' result.

    Args:
        states (dict): A result of :func:`get_random_states`.
    """
    random.setstate(states['python'])
    kind, keys, pos, has_gauss, gauss = states['numpy']
    np.random.set_state(
        (kind, np.asarray(keys, np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(states['torch'])
    if 'cuda' in states:
        torch.cuda.set_rng_state_all(states['cuda'])


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Checkpoints carry the random generators; ``--resume`` restores them.

    mmengine's resume restores the model, optimiser, schedulers, epoch and
    iteration, and seeds the generators afresh: the resumed epoch draws
    other augmentations, views, drop-paths and dropouts than the
    uninterrupted run did. Data order is already exact
    (``DefaultSampler`` shuffles with ``seed + epoch``). This hook makes
    the rest exact for epoch-based loops:

    - at the end of each training epoch it takes the states of Python's,
      numpy's and torch's (and CUDA's) global generators -- the ones the
      pipeline transforms, ``RandomViewClsDataPreprocessor`` (its random
      views, or the stored views ``CachedTeacher`` picks) and dropout /
      drop-path draw from;
    - every checkpoint saved until the next epoch starts (the epoch's
      checkpoint, the best checkpoint, the checkpoint saved again after
      validation) stores those states, one per process;
    - the next training epoch starts from them. A resumed run skips the
      validation and hooks that ran between the checkpoint and that epoch,
      so these must not move the generators in the uninterrupted run
      either: they draw from the states, which are then put back;
    - after ``--resume`` the first training epoch starts from the states of
      the resumed checkpoint (loading weights with ``load_from`` restores
      nothing).

    Checkpoints saved within an epoch store the states of that moment. The
    runner's seeding (``randomness``) is unchanged: it still gives the
    first epoch its states.
    """

    # Before CheckpointHook (VERY_LOW) saves at the end of an epoch, and
    # before any other hook draws at the start of the next.
    priority = 'VERY_HIGH'
    CHECKPOINT_KEY = 'random_states'

    def __init__(self) -> None:
        self._epoch_end: Optional[dict] = None
        self._gathered: Optional[list] = None
        self._loaded: Optional[dict] = None

    def after_train_epoch(self, runner) -> None:
        self._epoch_end = get_random_states()
        # Every process's states (with ``diff_rank_seed`` they differ),
        # gathered here, where all processes take part: only the main
        # process saves checkpoints (``Runner.save_checkpoint`` is
        # master-only).
        self._gathered = all_gather_object(self._epoch_end)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._gathered is not None:
            states = self._gathered
        else:  # saved within an epoch, by the main process alone
            states = [get_random_states()]
        checkpoint[self.CHECKPOINT_KEY] = states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Whether this is a resume shows only once the runner has set its
        # epoch and iteration from the checkpoint (before_train_epoch).
        self._loaded = dict(epoch=checkpoint['meta'].get('epoch'),
                            iter=checkpoint['meta'].get('iter'),
                            states=checkpoint.get(self.CHECKPOINT_KEY))

    def before_train_epoch(self, runner) -> None:
        loaded, self._loaded = self._loaded, None
        # Resuming set the runner's epoch and iteration to the checkpoint's;
        # ``load_from`` alone leaves them at 0.
        if loaded is not None and (runner.epoch, runner.iter) == (
                loaded['epoch'], loaded['iter']):
            self._restore_resumed(runner, loaded['states'])
        if self._epoch_end is not None:
            set_random_states(self._epoch_end)
            self._epoch_end = self._gathered = None

    def _restore_resumed(self, runner, states: Optional[list]) -> None:
        """Take this process's states from the resumed checkpoint."""
        if states is None:
            runner.logger.warning(
                'The resumed checkpoint holds no random states (saved '
                'without RandomStateHook): the generators are seeded '
                'afresh, so this run does not repeat the interrupted one '
                'exactly.')
        elif len(states) != get_world_size():
            runner.logger.warning(
                f'The resumed checkpoint holds the random states of '
                f'{len(states)} processes, this run has {get_world_size()}: '
                'the generators are seeded afresh (with another process '
                'count the data split differs anyway).')
        else:
            self._epoch_end = states[get_rank()]
            runner.logger.info(
                f'Restored the random states saved at epoch {runner.epoch}.')
