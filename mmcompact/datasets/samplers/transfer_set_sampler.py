from typing import Iterator, Optional, Sized

import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.registry import DATA_SAMPLERS

from ..in_memory_custom_dataset import UNLABELED
from .min_length_sampler import MinLengthSampler


@DATA_SAMPLERS.register_module()
class TransferSetSampler(MinLengthSampler):
    """:class:`MinLengthSampler`'s epochs, drawn from the labelled and the
    unlabelled images at a set ratio.

    A training set with an unlabelled transfer set (samples labelled
    :data:`~mmcompact.datasets.UNLABELED`, e.g. from
    ``InMemoryCustomDataset(unlabeled_prefix=...)``) is drawn by
    :class:`MinLengthSampler` in the folders' own ratio. With
    ``unlabeled_ratio`` an epoch keeps :class:`MinLengthSampler`'s length
    -- so a schedule in epochs keeps its number of optimiser steps -- but
    draws ``unlabeled_ratio`` unlabelled samples per labelled one: each
    kind from fresh shuffles of its own samples (every sample of a kind is
    drawn equally often, up to one, within an epoch), the two then shuffled
    together, so a batch holds the ratio on average.

    Args:
        dataset (Sized): The dataset; needs ``get_gt_labels()`` (mmpretrain's
            datasets) when ``unlabeled_ratio`` is set.
        unlabeled_ratio (float, optional): Unlabelled samples drawn per
            labelled sample. None: the folders' ratio (each sample once per
            pass, exactly :class:`MinLengthSampler`); a dataset without
            unlabelled samples is drawn that way whatever the setting.
            Defaults to None.
        **kwargs: ``min_length``, ``shuffle``, ``seed``, ``round_up`` of
            :class:`MinLengthSampler`.
    """

    def __init__(self,
                 dataset: Sized,
                 unlabeled_ratio: Optional[float] = None,
                 **kwargs):
        super().__init__(dataset, **kwargs)
        name = type(self).__name__
        if unlabeled_ratio is not None and not unlabeled_ratio >= 0:
            raise ValueError(f'{name}: unlabeled_ratio must be >= 0 or None, '
                             f'got {unlabeled_ratio}')
        # ((labelled indices, draws), (unlabelled indices, draws)), or None
        # to draw as MinLengthSampler.
        self._draws = None
        if unlabeled_ratio is None:
            return
        if not hasattr(dataset, 'get_gt_labels'):
            raise TypeError(
                f'{name}: unlabeled_ratio needs a dataset with labels '
                f'(get_gt_labels()), got {type(dataset).__name__}')
        labels = np.asarray(dataset.get_gt_labels())
        unlabeled = np.flatnonzero(labels == UNLABELED)
        if len(unlabeled) == 0:
            return
        labeled = np.flatnonzero(labels != UNLABELED)
        if len(labeled) == 0:
            raise ValueError(f'{name}: the dataset holds no labelled sample; '
                             'unlabeled_ratio needs both kinds')
        epoch = self.passes * self.num_images
        num_labeled = max(1, round(epoch / (1 + unlabeled_ratio)))
        self._draws = ((labeled, num_labeled),
                       (unlabeled, epoch - num_labeled))
        MMLogger.get_current_instance().info(
            f'{name}: an epoch draws {num_labeled} labelled and '
            f'{epoch - num_labeled} unlabelled images (unlabeled_ratio '
            f'{unlabeled_ratio}; the folders hold {len(labeled)} and '
            f'{len(unlabeled)})')

    def _epoch_samples(self) -> np.ndarray:
        """This epoch's draws, labelled then unlabelled, the same on every
        rank (seeded by the sampler's seed and the epoch)."""
        rng = np.random.default_rng([self.seed, self.epoch])
        draws = []
        for pool, count in self._draws:
            shuffles = [rng.permutation(pool)
                        for _ in range(-(-count // len(pool)))]
            draws.append(np.concatenate([pool[:0]] + shuffles)[:count])
        return np.concatenate(draws)

    def __iter__(self) -> Iterator[int]:
        if self._draws is None:
            return super().__iter__()
        samples = self._epoch_samples()
        # DefaultSampler shuffles, pads and splits positions in the epoch's
        # draws, so ranks share one epoch as they do under MinLengthSampler.
        return (int(samples[i]) for i in super(MinLengthSampler,
                                                self).__iter__())
