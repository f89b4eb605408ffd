from typing import Iterator, Sized

from mmengine.dataset import DefaultSampler
from mmpretrain.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class MinLengthSampler(DefaultSampler):
    """mmengine's :class:`DefaultSampler`, with epochs of a least length.

    A data set smaller than ``min_length`` is drawn ``ceil(min_length /
    len(dataset))`` times per epoch, in one shuffle of the repeated index
    space (mmengine's ``RepeatDataset`` under a ``DefaultSampler`` draws
    the same way). Schedules written in epochs -- warm-up, decay,
    validation and checkpoint intervals -- then mean a number of
    optimiser steps on any small set, while a set of ``min_length``
    samples or more is drawn exactly as by ``DefaultSampler`` (same order
    for the same seed).

    Args:
        dataset (Sized): The dataset.
        min_length (int): Fewest samples an epoch draws (over all ranks).
            Defaults to 0 (one pass, as ``DefaultSampler``).
        **kwargs: ``shuffle``, ``seed``, ``round_up`` of
            :class:`DefaultSampler`.

    Attributes:
        passes (int): How many times an epoch draws each sample.
    """

    def __init__(self, dataset: Sized, min_length: int = 0, **kwargs):
        if len(dataset) == 0:
            raise ValueError(f'{type(self).__name__}: the dataset is empty')
        if min_length < 0:
            raise ValueError(f'{type(self).__name__}: min_length must be '
                             f'>= 0, got {min_length}')
        self.passes = max(1, -(-min_length // len(dataset)))
        self.num_images = len(dataset)
        # DefaultSampler shuffles and splits range(passes * N); indices
        # are mapped back to the dataset in __iter__.
        super().__init__(range(self.passes * len(dataset)), **kwargs)

    def __iter__(self) -> Iterator[int]:
        return (i % self.num_images for i in super().__iter__())
