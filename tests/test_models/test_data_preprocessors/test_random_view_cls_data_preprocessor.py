import os.path as osp
import tempfile

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from mmengine.dataset import default_collate, pseudo_collate
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmcompact  # noqa: F401
from mmcompact.models import RandomViewClsDataPreprocessor
from mmcompact.teacher import (VIEW_FIELDS, CachedTeacher, crop_views,
                               save_teacher_cache)

from ...conftest import smooth_image

MEAN, STD = [120.0, 110.0, 100.0], [50.0, 55.0, 60.0]
PAD_CROP = dict(type='PadCrop', crop_size=32, padding=4)


def _pre(**kwargs):
    cfg = dict(type='RandomViewClsDataPreprocessor', size=32, view=PAD_CROP,
               num_classes=10, mean=MEAN, std=STD)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _images(n, size=(32, 32), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            for _ in range(n)]


def _packed(images):
    """Samples as PackInputs makes them (CHW uint8, index and path)."""
    return [
        dict(inputs=torch.from_numpy(img).permute(2, 0, 1),
             data_samples=DataSample(metainfo=dict(
                 sample_idx=i, img_path=f'/data/{i}.png')).set_gt_label(
                     i % 10)) for i, img in enumerate(images)
    ]


def _replaying(pre, images, views):
    """Give ``pre`` a real teacher cache storing one view per image.

    The stored logits of image ``i`` are ``[i, i, i]``.
    """
    n = len(images)
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'teacher_cache_1v.npz')
        save_teacher_cache(
            path, np.repeat(np.arange(n, dtype=np.float32), 3).reshape(
                n, 1, 3), np.asarray(views)[:, None],
            [f'{i}.png' for i in range(n)],
            dict(teacher='t', data='d', teacher_ckpt='c', view=pre.view,
                 image_shape=images[0].shape[:2], teacher_size=pre.size))
        pre.teacher_cache = CachedTeacher(path)
    return pre


def _stacked(hwc_images):
    return torch.stack([torch.from_numpy(i).permute(2, 0, 1)
                        for i in hwc_images])


def _normalised(x):
    """What the preprocessor's normalisation makes of a uint8 batch."""
    if isinstance(x, list):
        x = _stacked(x)
    return (x.float() - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(
        STD).view(3, 1, 1)


def _np_view(img, view):
    """Reference: zero-pad an HWC image, cut the box, flip its columns."""
    top, left, height, width, flip = (int(v) for v in view)
    p = sum(img.shape[:2]) + height + width  # enough zeros on every side
    padded = np.pad(img, ((p, p), (p, p), (0, 0)))
    out = padded[top + p:top + p + height, left + p:left + p + width]
    return np.ascontiguousarray(out[:, ::-1] if flip else out)


def _random_pad_crop_views(n, padding=4, size=32, seed=1):
    rng = np.random.default_rng(seed)
    views = np.empty((n, 5), np.int64)
    views[:, :2] = rng.integers(-padding, padding + 1, (n, 2))
    views[:, 2:4] = size
    views[:, 4] = rng.integers(0, 2, n)
    return views


def _old_crop_flip(inputs, padding, crop_size, flip_prob):
    """The removed ``CropFlipClsDataPreprocessor.crop_flip``, random views.

    Kept here as the reference: seeded runs of the old configs must repeat
    bit for bit, random numbers drawn in the same order.
    """
    n, c, h, w = inputs.shape
    crop_h, crop_w = crop_size
    max_dy, max_dx = h + 2 * padding - crop_h, w + 2 * padding - crop_w
    dy = torch.randint(0, max_dy + 1, (n, ))
    dx = torch.randint(0, max_dx + 1, (n, ))
    flip = torch.rand(n) < flip_prob
    rows = dy[:, None] + torch.arange(crop_h)
    cols = dx[:, None] + torch.arange(crop_w)
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    padded = F.pad(inputs, (padding, ) * 4) if padding else inputs
    out = padded.gather(
        2, rows[:, None, :, None].expand(n, c, crop_h, padded.size(3)))
    return out.gather(3, cols[:, None, None, :].expand(n, c, crop_h, crop_w))


@pytest.mark.parametrize('collate', [default_collate, pseudo_collate])
def test_stored_pad_crop_views_are_replayed_exactly(collate):
    images = _images(12)
    views = _random_pad_crop_views(12)
    assert set(views[:, 4]) == {0, 1} and views[:, :2].min() < 0
    out = _replaying(_pre(), images, views)(collate(_packed(images)),
                                            training=True)
    # The same pixels as the numpy pad/crop/flip of every stored view.
    expected = [_np_view(img, v) for img, v in zip(images, views)]
    assert torch.equal(out['inputs'], _normalised(expected))
    assert [int(s.gt_label) for s in out['data_samples']] == list(range(10)) \
        + [0, 1]
    # Each sample carries the teacher's stored logits for its view.
    assert [s.teacher_logits.tolist() for s in out['data_samples']] == [
        [float(i)] * 3 for i in range(12)]


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_stored_views_on_cuda():
    images = _images(64)
    views = _random_pad_crop_views(64)
    batch = default_collate(_packed(images))
    pre = _replaying(_pre(), images, views).cuda()
    out = pre(dict(batch, inputs=batch['inputs'].cuda()), training=True)
    expected = [_np_view(img, v) for img, v in zip(images, views)]
    assert out['inputs'].is_cuda
    assert torch.allclose(out['inputs'].cpu(), _normalised(expected))
    boxes = torch.from_numpy(views).cuda()
    assert torch.equal(
        crop_views(batch['inputs'].cuda(), boxes, (32, 32)).cpu(),
        _stacked(expected))


def test_random_pad_crop_views_in_bounds_and_seeded():
    pre = _pre()
    torch.manual_seed(3)
    views = pre.sample_views(2000, 32, 32)
    assert views.shape == (2000, len(VIEW_FIELDS)) == (2000, 5)
    assert views.dtype == torch.int64
    top, left, height, width, flip = views.T
    assert set(top.tolist()) == set(range(-4, 5)) == set(left.tolist())
    assert (height == 32).all() and (width == 32).all()
    assert set(flip.tolist()) == {0, 1}
    assert 0.45 < flip.float().mean() < 0.55
    torch.manual_seed(3)
    assert torch.equal(pre.sample_views(2000, 32, 32), views)
    torch.manual_seed(4)
    assert not torch.equal(pre.sample_views(2000, 32, 32), views)
    # flip_prob is the share of flipped views.
    assert _pre(flip_prob=0.0).sample_views(100, 32, 32)[:, 4].sum() == 0
    assert _pre(flip_prob=1.0).sample_views(100, 32, 32)[:, 4].all()


@pytest.mark.parametrize('crop_size,padding,flip_prob', [
    (32, 4, 0.5), ((28, 30), 2, 0.3), (32, 0, 1.0)])
def test_seeded_pad_crop_batch_is_the_old_crop_flip(crop_size, padding,
                                                    flip_prob):
    images = _images(16)
    batch = default_collate(_packed(images))
    size = (crop_size, ) * 2 if isinstance(crop_size, int) else crop_size
    pre = _pre(size=size, flip_prob=flip_prob,
               view=dict(type='PadCrop', crop_size=crop_size,
                         padding=padding))
    torch.manual_seed(7)
    out = pre(batch, training=True)['inputs']
    after = torch.rand(4)
    torch.manual_seed(7)
    old = _old_crop_flip(_stacked(images), padding, size, flip_prob)
    old_after = torch.rand(4)
    assert old.dtype == torch.uint8 and out.shape == (16, 3, *size)
    assert torch.equal(out, _normalised(old))
    # The same random numbers were consumed: later draws repeat too.
    assert torch.equal(after, old_after)


def _resized_crop(**kwargs):
    return _pre(size=24, view=dict(type='ResizedCrop', **kwargs))


def test_resized_crop_boxes_follow_scale_and_ratio():
    height, width = 40, 48
    scale, ratio = (0.2, 0.5), (3 / 4, 4 / 3)
    pre = _resized_crop(scale=scale, ratio=ratio)
    assert pre.view == dict(type='ResizedCrop', scale=scale, ratio=ratio)
    torch.manual_seed(0)
    views = pre.sample_views(3000, height, width)
    top, left, h, w, flip = (v.double() for v in views.T)
    # Inside the image (no padding for random-resized crops).
    assert (top >= 0).all() and (left >= 0).all()
    assert (top + h <= height).all() and (left + w <= width).all()
    assert (h >= 1).all() and (w >= 1).all()
    # Sides are rounded: the drawn area and aspect ratio lie between those
    # of the box grown and shrunk by half a pixel.
    area = height * width
    assert ((w - 0.5) * (h - 0.5) <= scale[1] * area).all()
    assert ((w + 0.5) * (h + 0.5) >= scale[0] * area).all()
    assert ((w + 0.5) / (h - 0.5) >= ratio[0]).all()
    assert ((w - 0.5) / (h + 0.5) <= ratio[1]).all()
    # ... and fill those ranges, at every position, both flips.
    frac = w * h / area
    assert frac.min() < 0.23 and frac.max() > 0.47
    assert (w / h).min() < 0.8 and (w / h).max() > 1.25
    assert top.max() > 15 and left.max() > 20
    assert 0.45 < flip.mean() < 0.55
    torch.manual_seed(0)
    assert torch.equal(pre.sample_views(3000, height, width), views)


def test_resized_crop_falls_back_to_the_whole_image():
    # No 2:1 box of the whole area fits a square image: whole image.
    pre = _resized_crop(scale=(1.0, 1.0), ratio=(2.0, 2.0))
    views = pre.sample_views(50, 30, 30)
    assert torch.equal(views[:, :4], torch.tensor([[0, 0, 30, 30]] * 50))
    # The default scale range: whole-image fallbacks are rare, and every
    # other box keeps to the range.
    pre = _resized_crop(scale=(0.25, 1.0))
    torch.manual_seed(1)
    views = pre.sample_views(2000, 40, 40)
    whole = (views[:, :4] == torch.tensor([0, 0, 40, 40])).all(1)
    assert whole.float().mean() < 0.05
    h, w = views[~whole, 2].double(), views[~whole, 3].double()
    assert ((w + 0.5) * (h + 0.5) >= 0.25 * 1600).all()
    assert ((w + 0.5) / (h - 0.5) >= 3 / 4).all()
    assert ((w - 0.5) / (h + 0.5) <= 4 / 3).all()


def test_resized_crop_forward_cuts_and_resizes_the_drawn_boxes():
    images = _images(6, size=(40, 48))
    batch = default_collate(_packed(images))
    pre = _resized_crop(scale=(0.25, 1.0))
    torch.manual_seed(5)
    out = pre(batch, training=True)['inputs']
    torch.manual_seed(5)
    views = pre.sample_views(6, 40, 48)
    expected = crop_views(_stacked(images), views, (24, 24))
    assert out.shape == (6, 3, 24, 24)
    assert torch.allclose(out, _normalised(expected), atol=1e-5)
    # Each output is its box, resized (antialiased when shrunk).
    for img, view, got in zip(images, views.tolist(), expected):
        crop = torch.from_numpy(_np_view(img, view)).permute(2, 0, 1)
        h, w = view[2:4]
        ref = F.interpolate(crop[None].float(), size=(24, 24),
                            mode='bilinear', align_corners=False,
                            antialias=h > 24 or w > 24)[0]
        assert torch.allclose(got, ref, atol=1e-4)


def test_crop_views_two_sizes_show_the_same_box():
    rng = np.random.default_rng(0)
    x = _stacked([smooth_image(128, 128, rng) for _ in range(2)])
    box = torch.tensor([[10, 20, 80, 60, 0], [40, 8, 70, 90, 1]])
    big = crop_views(x, box, (128, 128))
    small = crop_views(x, box, (96, 96))
    assert big.shape == (2, 3, 128, 128) and small.shape == (2, 3, 96, 96)
    resized = F.interpolate(big, size=(96, 96), mode='bilinear',
                            align_corners=False, antialias=True)
    err = (resized - small).abs()
    # Resampling differs at the border only (0-255 scale).
    assert err.mean() < 1 and err[..., 1:-1, 1:-1].max() < 3
    # A box 1 px off, or 2 px larger, shows other content: the comparison
    # can fail.
    for offset in ([1, 1, 0, 0, 0], [0, 0, 2, 2, 0]):
        other = crop_views(x, box + torch.tensor(offset), (96, 96))
        assert (resized - other).abs().mean() > 10 * err.mean()
    # The whole image at its own size is the image itself.
    whole = torch.tensor([[0, 0, 128, 128, 0]] * 2)
    same = crop_views(x, whole, (128, 128))
    assert same.dtype == torch.uint8 and torch.equal(same, x)
    # Shrunk: bilinear with antialiasing, as F.interpolate does it.
    assert torch.allclose(
        crop_views(x, whole, (64, 64)),
        F.interpolate(x.float(), size=(64, 64), mode='bilinear',
                      align_corners=False, antialias=True), atol=1e-4)


@pytest.mark.parametrize('size', [(20, 24), (32, 32)])
def test_flip_reverses_columns(size):
    x = _stacked(_images(2, size=(40, 40)))
    # Same-size boxes (gather path) and boxes resized to ``size``.
    for box in ([[3, -2, *size, 0], [0, 5, *size, 0]],
                [[3, 2, 30, 20, 0], [0, 5, 17, 33, 0]]):
        box = torch.tensor(box)
        flipped = box.clone()
        flipped[:, 4] = 1
        plain = crop_views(x, box, size)
        assert torch.equal(crop_views(x, flipped, size), plain.flip(3))
        # One flipped and one not in the same batch.
        flipped[0, 4] = 0
        mixed = crop_views(x, flipped, size)
        assert torch.equal(mixed[0], plain[0])
        assert torch.equal(mixed[1], plain[1].flip(2))


def test_test_time_only_resizes():
    images = _images(4)
    views = _random_pad_crop_views(4)
    # Stored views and a certain flip are ignored outside training.
    batch = default_collate(_packed(images))
    same = _replaying(_pre(flip_prob=1.0), images, views)(batch,
                                                          training=False)
    assert torch.equal(same['inputs'], _normalised(images))
    assert 'teacher_logits' not in same['data_samples'][0]
    up = _pre(size=48, flip_prob=1.0)(batch, training=False)
    assert torch.allclose(
        up['inputs'],
        F.interpolate(_normalised(images), size=(48, 48), mode='bilinear',
                      align_corners=False), atol=1e-5)
    # Shrinking is antialiased.
    down = _pre(size=(16, 20))(batch, training=False)
    assert torch.allclose(
        down['inputs'],
        F.interpolate(_normalised(images), size=(16, 20), mode='bilinear',
                      align_corners=False, antialias=True), atol=1e-5)


def test_no_view_only_resizes():
    images = _images(4)
    batch = default_collate(_packed(images))
    pre = _pre(view=None, size=48, flip_prob=1.0)
    assert pre.view is None
    expected = F.interpolate(_normalised(images), size=(48, 48),
                             mode='bilinear', align_corners=False)
    for training in (True, False):
        out = pre(batch, training=training)['inputs']
        assert torch.allclose(out, expected, atol=1e-5)
    assert torch.allclose(pre.resize(_normalised(images)), expected,
                          atol=1e-5)
    with pytest.raises(ValueError, match='no view to sample'):
        pre.sample_views(2, 32, 32)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match=r"one of \('PadCrop', "
                       r"'ResizedCrop'\), got 'RandomCrop'"):
        _pre(view=dict(type='RandomCrop', crop_size=32))
    with pytest.raises(ValueError,
                       match=r"Unknown PadCrop view keys: \['fill'\]"):
        _pre(view=dict(PAD_CROP, fill=0))
    with pytest.raises(ValueError,
                       match=r"Unknown ResizedCrop view keys: \['size'\]"):
        _pre(view=dict(type='ResizedCrop', size=24))
    for scale, ratio in [((0.5, 0.25), (1, 1)), ((0.0, 1.0), (1, 1)),
                         ((0.5, 1.5), (1, 1)), ((0.5, 1.0), (2, 1))]:
        with pytest.raises(ValueError, match='0 < scale'):
            _pre(view=dict(type='ResizedCrop', scale=scale, ratio=ratio))
    with pytest.raises(ValueError, match='padding must be >= 0'):
        _pre(view=dict(PAD_CROP, padding=-1))
    with pytest.raises(ValueError, match='flip_prob'):
        _pre(flip_prob=1.5)
    with pytest.raises(ValueError, match=r'Cannot crop \(48, 48\)'):
        _pre(view=dict(PAD_CROP, crop_size=48)).sample_views(2, 32, 32)


def test_bad_batches_are_refused():
    images = _images(3)
    odd = _packed(images)
    odd[0]['inputs'] = odd[0]['inputs'][:, :30]
    with pytest.raises(ValueError, match='images of one size'):
        _pre()(pseudo_collate(odd), training=True)
    # Mixup cannot mix a label an unlabelled (transfer-set) sample lacks.
    mix = _pre(num_classes=3, batch_augments=dict(
        augments=[dict(type='Mixup', alpha=1.0)]))
    packed = _packed(images)
    for i, sample in enumerate(packed):
        sample['data_samples'].set_gt_label(i)
    assert mix(default_collate(packed), training=True)['data_samples'][
        0].gt_score.shape == (3, )
    packed[1]['data_samples'].set_gt_label(-1)
    with pytest.raises(ValueError, match='holds unlabelled samples'):
        mix(default_collate(packed), training=True)


def test_is_registered():
    assert MODELS.get('RandomViewClsDataPreprocessor') is \
        RandomViewClsDataPreprocessor
    assert VIEW_FIELDS == ('top', 'left', 'height', 'width', 'flip')
    # torchvision's RandomResizedCrop defaults.
    assert _resized_crop().view == dict(type='ResizedCrop', scale=(0.08, 1.0),
                                        ratio=(3 / 4, 4 / 3))


# Properties over random image sizes, paddings, crops, scales and seeds.
sides = st.integers(1, 24)
seeds = st.integers(0, 2**31 - 1)
sizes = st.tuples(st.integers(1, 20), st.integers(1, 20))
unit_ranges = st.lists(st.floats(0.01, 1.0), min_size=2,
                       max_size=2).map(sorted).map(tuple)
ratio_ranges = st.lists(st.floats(0.2, 5.0), min_size=2,
                        max_size=2).map(sorted).map(tuple)


@st.composite
def pad_crops(draw):
    """``(height, width, view)`` of a PadCrop that fits the padded image."""
    height, width, padding = draw(sides), draw(sides), draw(st.integers(0, 6))
    crop = (draw(st.integers(1, height + 2 * padding)),
            draw(st.integers(1, width + 2 * padding)))
    return height, width, dict(type='PadCrop', crop_size=crop,
                               padding=padding)


@st.composite
def resized_crops(draw):
    return draw(sides), draw(sides), dict(
        type='ResizedCrop', scale=draw(unit_ranges), ratio=draw(ratio_ranges))


@given(setup=pad_crops(), n=st.integers(1, 4), seed=seeds)
def test_any_pad_crop_view_is_in_bounds_and_cuts_its_box(setup, n, seed):
    height, width, view = setup
    (crop_h, crop_w), p = view['crop_size'], view['padding']
    pre = _pre(size=(crop_h, crop_w), view=view)
    torch.manual_seed(seed)
    views = pre.sample_views(n, height, width)
    top, left, box_h, box_w, flip = views.T
    assert views.shape == (n, 5)
    assert (box_h == crop_h).all() and (box_w == crop_w).all()
    assert top.min() >= -p and (top + box_h).max() <= height + p
    assert left.min() >= -p and (left + box_w).max() <= width + p
    assert set(flip.tolist()) <= {0, 1}
    images = _images(n, (height, width), seed)
    out = crop_views(_stacked(images), views, (crop_h, crop_w))
    assert out.shape == (n, 3, crop_h, crop_w) and out.dtype == torch.uint8
    for img, v, got in zip(images, views, out):
        assert np.array_equal(got.permute(1, 2, 0).numpy(), _np_view(img, v))


@given(height=sides, width=sides, padding=st.integers(0, 6),
       extra=st.integers(1, 5))
def test_pad_crop_larger_than_the_padded_image_is_refused(
        height, width, padding, extra):
    crop = (height + 2 * padding + extra, width)
    pre = _pre(size=crop, view=dict(type='PadCrop', crop_size=crop,
                                    padding=padding))
    with pytest.raises(ValueError, match=rf'Cannot crop \({crop[0]}, '
                       rf'{width}\) from {height}x{width} images padded by '
                       rf'{padding}'):
        pre.sample_views(2, height, width)


@given(setup=resized_crops(), n=st.integers(1, 4), size=sizes, seed=seeds)
def test_any_resized_crop_box_is_in_the_image(setup, n, size, seed):
    height, width, view = setup
    pre = _pre(size=size, view=view)
    torch.manual_seed(seed)
    views = pre.sample_views(n, height, width)
    top, left, box_h, box_w, flip = views.T
    assert (box_h >= 1).all() and (box_w >= 1).all()
    assert top.min() >= 0 and (top + box_h).max() <= height
    assert left.min() >= 0 and (left + box_w).max() <= width
    assert set(flip.tolist()) <= {0, 1}
    images = _images(n, (height, width), seed)
    out = crop_views(_stacked(images), views, size)
    assert out.shape == (n, 3, *size)
    for img, v, got in zip(images, views, out):
        if tuple(v[2:4].tolist()) == size:  # no resize: the box itself
            assert np.array_equal(
                got.to(torch.uint8).permute(1, 2, 0).numpy(),
                _np_view(img, v))


@given(setup=st.one_of(pad_crops(), resized_crops()), n=st.integers(1, 4),
       size=sizes, seed=seeds)
def test_a_stored_view_replays_the_pixels_it_first_gave(setup, n, size,
                                                        seed):
    """Drawn in a batch, stored as the cache stores it (int16), replayed:
    the student sees the same normalised pixels both times."""
    height, width, view = setup
    pre = _pre(size=size, view=view)
    images = _images(n, (height, width), seed)
    torch.manual_seed(seed)
    first = pre(default_collate(_packed(images)), training=True)['inputs']
    torch.manual_seed(seed)
    stored = pre.sample_views(n, height, width).numpy().astype(np.int16)
    replayed = _replaying(pre, images, stored)(
        default_collate(_packed(images)), training=True)['inputs']
    assert first.shape == (n, 3, *size)
    assert torch.equal(first, replayed)
