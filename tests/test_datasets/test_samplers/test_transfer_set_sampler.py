from collections import Counter
from unittest import mock

import pytest

from mmcompact.datasets import (UNLABELED, MinLengthSampler,
                                TransferSetSampler)


class LabelledList(list):
    """A sequence of labels with mmpretrain's ``get_gt_labels()``."""

    def get_gt_labels(self):
        return list(self)


def kinds(indices, labels):
    return Counter('u' if labels[i] == UNLABELED else 'l' for i in indices)


# 4 labelled samples (two classes), then 12 unlabelled ones.
LABELS = LabelledList([0, 1, 0, 1] + [UNLABELED] * 12)


def test_the_ratio_sets_the_draws_and_keeps_the_epoch_length():
    for ratio, labelled in ((1, 8), (3, 4), (0, 16), (0.5, 11)):
        sampler = TransferSetSampler(LABELS, unlabeled_ratio=ratio, seed=0)
        indices = list(sampler)
        # The epoch is MinLengthSampler's: one pass of 16 samples.
        assert len(sampler) == len(indices) == 16
        assert kinds(indices, LABELS) == Counter(
            l=labelled, u=16 - labelled), ratio
        # Within a kind, every sample is drawn equally often, up to one.
        for kind, pool in (('l', range(4)), ('u', range(4, 16))):
            counts = Counter(i for i in indices if i in pool)
            drawn = [counts[i] for i in pool]
            assert max(drawn) - min(drawn) <= 1, (ratio, kind, drawn)
    # ratio 1: each labelled sample twice, half the unlabelled ones once.
    indices = list(TransferSetSampler(LABELS, unlabeled_ratio=1, seed=0))
    assert Counter(i for i in indices if i < 4) == {i: 2 for i in range(4)}
    assert len(set(i for i in indices if i >= 4)) == 8
    # The kinds are shuffled together, and every epoch draws anew.
    assert {i < 4 for i in indices[:8]} == {True, False}
    sampler = TransferSetSampler(LABELS, unlabeled_ratio=1, seed=0)
    sampler.set_epoch(1)
    assert list(sampler) != indices


def test_the_folders_ratio_and_no_transfer_set_draw_as_min_length_sampler():
    for labels, ratio in ((LABELS, None), (LabelledList([0, 1, 2]), 1)):
        sampler = TransferSetSampler(labels, unlabeled_ratio=ratio,
                                     min_length=10, seed=2)
        assert list(sampler) == list(
            MinLengthSampler(labels, min_length=10, seed=2))


def test_min_length_still_sizes_the_epoch():
    sampler = TransferSetSampler(LABELS, unlabeled_ratio=1, min_length=40,
                                 seed=0)
    indices = list(sampler)
    assert len(indices) == 48  # 3 passes of 16
    assert kinds(indices, LABELS) == {'l': 24, 'u': 24}
    assert Counter(i for i in indices if i < 4) == {i: 6 for i in range(4)}


def test_ranks_share_one_epoch():
    halves = []
    for rank in (0, 1):
        with mock.patch('mmengine.dataset.sampler.get_dist_info',
                        return_value=(rank, 2)):
            sampler = TransferSetSampler(LABELS, unlabeled_ratio=3, seed=5)
        assert len(sampler) == 8
        halves.append(list(sampler))
    both = halves[0] + halves[1]
    assert kinds(both, LABELS) == {'l': 4, 'u': 12}
    assert sorted(i for i in both if i < 4) == [0, 1, 2, 3]


def test_bad_arguments():
    with pytest.raises(ValueError, match='unlabeled_ratio must be >= 0 or '
                       'None, got -1'):
        TransferSetSampler(LABELS, unlabeled_ratio=-1)
    with pytest.raises(TypeError, match='needs a dataset with labels '
                       r'\(get_gt_labels\(\)\), got list'):
        TransferSetSampler([0, 1, UNLABELED], unlabeled_ratio=1)
    with pytest.raises(ValueError, match='holds no labelled sample'):
        TransferSetSampler(LabelledList([UNLABELED] * 3), unlabeled_ratio=1)
