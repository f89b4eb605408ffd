import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate, pseudo_collate
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmcompact  # noqa: F401
from mmcompact.datasets import apply_view, sample_views

MEAN, STD = [120.0, 110.0, 100.0], [50.0, 55.0, 60.0]


def _pre(**kwargs):
    cfg = dict(type='CropFlipClsDataPreprocessor', crop_size=32, padding=4,
               num_classes=10, mean=MEAN, std=STD)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _images(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
            for _ in range(n)]


def _packed(images, views=None):
    """Samples as PackInputs makes them (CHW uint8, optional stored view)."""
    samples = []
    for i, img in enumerate(images):
        sample = DataSample().set_gt_label(i % 10)
        if views is not None:
            sample.set_field(views[i], 'teacher_view')
        samples.append(dict(inputs=torch.from_numpy(img).permute(2, 0, 1),
                            data_samples=sample))
    return samples


def _normalised(hwc_images):
    x = torch.stack([torch.from_numpy(i).permute(2, 0, 1)
                     for i in hwc_images]).float()
    return (x - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(
        STD).view(3, 1, 1)


@pytest.mark.parametrize('collate', [default_collate, pseudo_collate])
def test_stored_views_are_replayed_exactly(collate):
    images = _images(12)
    views = sample_views(12, 1, max_offset=8, seed=1)[:, 0]
    out = _pre()(collate(_packed(images, views)), training=True)
    # The same pixels as the per-sample numpy view the teacher was cached on.
    expected = [apply_view(img, v, 4, 32) for img, v in zip(images, views)]
    assert torch.equal(out['inputs'], _normalised(expected))
    assert [int(s.gt_label) for s in out['data_samples']] == list(range(10)) \
        + [0, 1]


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_stored_views_on_cuda():
    images = _images(64)
    views = sample_views(64, 1, max_offset=8, seed=1)[:, 0]
    batch = default_collate(_packed(images, views))
    pre = _pre().cuda()
    out = pre.crop_flip(batch['inputs'].cuda(), batch['data_samples'])
    expected = [apply_view(img, v, 4, 32) for img, v in zip(images, views)]
    assert out.is_cuda
    assert torch.equal(out.cpu(), torch.stack(
        [torch.from_numpy(e).permute(2, 0, 1) for e in expected]))


def test_random_views_are_pad_crop_flip():
    torch.manual_seed(0)
    img = _images(1, seed=2)[0]
    n = 400
    out = _pre().crop_flip(torch.from_numpy(img).permute(2, 0, 1).expand(
        n, 3, 32, 32).contiguous())
    assert out.shape == (n, 3, 32, 32) and out.dtype == torch.uint8
    candidates = {(dy, dx, f): torch.from_numpy(
        apply_view(img, (dy, dx, f), 4, 32)).permute(2, 0, 1)
        for dy in range(9) for dx in range(9) for f in (0, 1)}
    drawn = []
    for sample in out:
        match = [k for k, v in candidates.items() if torch.equal(v, sample)]
        assert len(match) == 1  # every output is one pad-crop-flip view
        drawn.append(match[0])
    drawn = np.array(drawn)
    assert set(drawn[:, 0]) == set(range(9)) == set(drawn[:, 1])
    assert 0.4 < drawn[:, 2].mean() < 0.6


def test_flip_prob_and_eval():
    images = _images(4)
    batch = default_collate(_packed(images))
    never = _pre(padding=0, flip_prob=0.0)(batch, training=True)
    assert torch.equal(never['inputs'], _normalised(images))
    always = _pre(padding=0, flip_prob=1.0)(batch, training=True)
    assert torch.equal(always['inputs'], _normalised(images).flip(3))
    # Evaluation: neither cropped nor flipped.
    evaluated = _pre(flip_prob=1.0)(batch, training=False)
    assert torch.equal(evaluated['inputs'], _normalised(images))


def test_bad_input_is_refused():
    images = _images(3)
    views = np.array([[0, 0, 0], [9, 0, 1], [8, 8, 0]], np.uint8)
    with pytest.raises(ValueError, match=r'offsets up to \(9, 8\).*allows '
                       r'\(8, 8\)'):
        _pre()(default_collate(_packed(images, views)), training=True)
    mixed = _packed(images, views)
    mixed[1]['data_samples'] = DataSample().set_gt_label(0)
    with pytest.raises(ValueError, match='1 of 3 samples.*"teacher_view"'):
        _pre()(default_collate(mixed), training=True)
    odd = _packed(images)
    odd[0]['inputs'] = odd[0]['inputs'][:, :30]
    with pytest.raises(ValueError, match='images of one size'):
        _pre()(pseudo_collate(odd), training=True)
    with pytest.raises(ValueError, match=r'Cannot crop \(48, 48\)'):
        _pre(crop_size=48)(default_collate(_packed(images)), training=True)
    with pytest.raises(ValueError, match='flip_prob'):
        _pre(flip_prob=1.5)
