from collections import Counter
from unittest import mock

import pytest
from mmengine.dataset import DefaultSampler

from mmcompact.datasets import MinLengthSampler


def test_small_set_is_drawn_several_times_per_epoch():
    sampler = MinLengthSampler(list(range(10)), min_length=25, seed=0)
    assert sampler.passes == 3
    indices = list(sampler)
    assert len(sampler) == len(indices) == 30
    assert Counter(indices) == {i: 3 for i in range(10)}
    # One shuffle of the repeated index space, new for every epoch.
    assert indices != sorted(indices)
    sampler.set_epoch(1)
    assert list(sampler) != indices


def test_large_set_is_drawn_as_by_default_sampler():
    for min_length in (0, 50, 100):
        sampler = MinLengthSampler(list(range(100)), min_length=min_length,
                                   seed=3)
        assert sampler.passes == 1
        assert list(sampler) == list(DefaultSampler(list(range(100)), seed=3))
    unshuffled = MinLengthSampler(list(range(4)), min_length=10,
                                  shuffle=False)
    assert list(unshuffled) == [0, 1, 2, 3] * 3


def test_ranks_share_the_repeated_epoch():
    """Two ranks draw disjoint halves of one padded, repeated epoch."""
    halves = []
    for rank in (0, 1):
        with mock.patch('mmengine.dataset.sampler.get_dist_info',
                        return_value=(rank, 2)):
            sampler = MinLengthSampler(list(range(5)), min_length=12,
                                       seed=0)
        assert len(sampler) == 8  # 3 passes = 15 samples, padded to 16
        halves.append(list(sampler))
    assert Counter(halves[0] + halves[1]) == Counter(
        {i: 3 for i in range(5)}) + Counter({halves[0][0]: 1})


def test_bad_arguments():
    with pytest.raises(ValueError, match='the dataset is empty'):
        MinLengthSampler([], min_length=10)
    with pytest.raises(ValueError, match='min_length must be >= 0, got -1'):
        MinLengthSampler([1], min_length=-1)
