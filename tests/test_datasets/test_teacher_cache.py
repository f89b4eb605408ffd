import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS
from mmpretrain.structures import DataSample

import mmcompact  # noqa: F401
from mmcompact.datasets import (apply_view, crop_settings, load_teacher_cache,
                                load_teacher_cache_meta, sample_views,
                                save_teacher_cache, teacher_fingerprint)
from mmcompact.datasets.teacher_cache import CACHE_VERSION

from ..test_models.test_classifiers.test_joint_classifier import (
    STUDENT_PRE, TEACHER, _student_cfg, teacher_ckpt)  # noqa: F401


def test_apply_view_is_pad_crop_flip():
    img = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)
    out = apply_view(img, (1, 2, 0), padding=2, crop_size=4)
    padded = np.zeros((8, 8, 3), np.uint8)
    padded[2:6, 2:6] = img
    assert np.array_equal(out, padded[1:5, 2:6])
    flipped = apply_view(img, (1, 2, 1), padding=2, crop_size=4)
    assert np.array_equal(flipped, padded[1:5, 2:6][:, ::-1])
    views = sample_views(100, 4, max_offset=8, seed=3)
    assert views.shape == (100, 4, 3) and views[..., :2].max() <= 8
    assert set(np.unique(views[..., 2])) == {0, 1}
    assert np.array_equal(views, sample_views(100, 4, 8, seed=3))


def test_crop_settings_of_the_configs(repo_root):
    def cfg(name):
        return Config.fromfile(osp.join(repo_root, 'configs', name))

    # Per-sample RandomCrop (ResNet-20 recipe) or the batch crop (fast).
    assert crop_settings(cfg('joint_cifar10.py')) == (32, 4)
    assert crop_settings(cfg('joint_fast_cifar10.py')) == (32, 4)
    no_crop = cfg('joint_fast_cifar10.py')
    no_crop.model.data_preprocessor = dict(type='ClsDataPreprocessor')
    with pytest.raises(ValueError, match='Neither a CropFlip'):
        crop_settings(no_crop)
    oblong = cfg('joint_fast_cifar10.py')
    oblong.model.data_preprocessor.crop_size = (32, 28)
    with pytest.raises(ValueError, match='square'):
        crop_settings(oblong)


def _write_cache(path, rel_paths, teacher_fp='x', num_classes=10, views=3):
    n = len(rel_paths)
    logits = np.random.default_rng(0).normal(
        size=(n, views, num_classes)).astype(np.float32)
    view_arr = sample_views(n, views, 8)
    save_teacher_cache(str(path), logits, view_arr, rel_paths,
                       dict(teacher=teacher_fp, data='d', teacher_ckpt='t',
                            padding=4, crop_size=32))
    return logits, view_arr


def _train_set_and_cache(tiny_cifar, path):
    """The tiny train split and a 3-view cache of random logits for it."""
    init_default_scope('mmpretrain')
    ds = DATASETS.build(dict(type='CIFAR10Folder', data_root=tiny_cifar,
                             split='train', pipeline=[]))
    rel = [f'train/{ds.get_data_info(i)["img_path"].split("/train/")[1]}'
           for i in range(len(ds))]
    return (ds, *_write_cache(path, rel))


def test_replay_attaches_the_logits_of_the_replayed_view(tiny_cifar,
                                                         tmp_path):
    ds, logits, views = _train_set_and_cache(tiny_cifar, tmp_path / 'c.npz')
    cache = load_teacher_cache(str(tmp_path / 'c.npz'))
    assert cache['logits'].dtype == np.float16
    assert cache['meta']['padding'] == 4
    pipeline = Compose([
        TRANSFORMS.build(dict(type='ReplayTeacherView',
                              cache_file=str(tmp_path / 'c.npz'))),
        TRANSFORMS.build(dict(type='PackInputs',
                              algorithm_keys=['teacher_logits'])),
    ])
    for idx in (0, 7, 29):
        info = ds.get_data_info(idx)
        out = pipeline(copy.deepcopy(info))
        sample_logits = out['data_samples'].teacher_logits
        # Which stored view was replayed? Its logits came along.
        matches = [v for v in range(3) if np.allclose(
            sample_logits, logits[idx, v].astype(np.float16), atol=1e-3)]
        assert len(matches) >= 1
        v = matches[0]
        expected = apply_view(info['img'], views[idx, v], 4, 32)
        assert np.array_equal(out['inputs'].permute(1, 2, 0).numpy(),
                              expected)


def test_replay_can_leave_the_view_to_the_batch(tiny_cifar, tmp_path):
    ds, logits, views = _train_set_and_cache(tiny_cifar, tmp_path / 'c.npz')
    pipeline = Compose([
        TRANSFORMS.build(dict(type='ReplayTeacherView',
                              cache_file=str(tmp_path / 'c.npz'),
                              apply_view=False)),
        TRANSFORMS.build(dict(type='PackInputs',
                              algorithm_keys=['teacher_logits',
                                              'teacher_view'])),
    ])
    info = ds.get_data_info(7)
    out = pipeline(copy.deepcopy(info))
    sample = out['data_samples']
    # The image is untouched; the recorded view is the one whose logits
    # came along, and CropFlipClsDataPreprocessor applies it to the batch.
    assert np.array_equal(out['inputs'].permute(1, 2, 0).numpy(),
                          info['img'])
    v = [v for v in range(3) if np.array_equal(sample.teacher_view,
                                               views[7, v])]
    assert v and np.allclose(sample.teacher_logits,
                             logits[7, v[0]].astype(np.float16), atol=1e-3)


def test_replay_refuses_another_split(tiny_cifar, tmp_path):
    init_default_scope('mmpretrain')
    ds = DATASETS.build(dict(type='CIFAR10Folder', data_root=tiny_cifar,
                             split='test', pipeline=[]))
    rel = [f'train/airplane/{i:04d}.jpg' for i in range(len(ds))]
    _write_cache(tmp_path / 'c.npz', rel)
    replay = TRANSFORMS.build(dict(type='ReplayTeacherView',
                                   cache_file=str(tmp_path / 'c.npz')))
    with pytest.raises(ValueError, match='does not match the data set'):
        replay(ds.get_data_info(0))
    with pytest.raises(FileNotFoundError, match='tools/cache_teacher.py'):
        load_teacher_cache(str(tmp_path / 'missing.npz'))


def test_meta_is_read_alone_and_version_checked(tmp_path):
    _write_cache(tmp_path / 'c.npz', ['a.jpg', 'b.jpg'], teacher_fp='fp')
    meta = load_teacher_cache_meta(str(tmp_path / 'c.npz'))
    assert meta == dict(teacher='fp', data='d', teacher_ckpt='t', padding=4,
                        crop_size=32, version=CACHE_VERSION)
    old = dict(np.load(tmp_path / 'c.npz'))
    old['meta'] = np.asarray(repr(dict(meta, version=CACHE_VERSION - 1)))
    np.savez(tmp_path / 'old.npz', **old)
    with pytest.raises(ValueError, match='rebuild it'):
        load_teacher_cache_meta(str(tmp_path / 'old.npz'))


def test_joint_model_uses_cached_logits_and_checks_teacher(
        teacher_ckpt, tmp_path):  # noqa: F811
    teacher = MODELS.build(copy.deepcopy(TEACHER))
    state = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    teacher.load_state_dict(state)
    good, bad = tmp_path / 'good.npz', tmp_path / 'bad.npz'
    _write_cache(good, ['x'], teacher_fp=teacher_fingerprint(teacher),
                 num_classes=4)
    _write_cache(bad, ['x'], teacher_fp='another teacher', num_classes=4)
    with pytest.raises(ValueError, match='built from another teacher'):
        MODELS.build(_student_cfg(teacher_ckpt, teacher_cache=str(bad)))
    # A batch crop must replay the views as cached (padding 4, size 32).
    with pytest.raises(ValueError, match='with padding 4, but the '
                       r'data_preprocessor crops to \(32, 32\) with '
                       'padding 2'):
        MODELS.build(_student_cfg(
            teacher_ckpt, teacher_cache=str(good), data_preprocessor=dict(
                STUDENT_PRE, type='CropFlipClsDataPreprocessor',
                crop_size=32, padding=2)))
    model = MODELS.build(_student_cfg(teacher_ckpt, teacher_cache=str(good)))

    def no_teacher(*args, **kwargs):
        raise AssertionError('the teacher ran although logits are cached')

    model.teacher.forward = no_teacher
    inputs = torch.randn(2, 3, 32, 32)
    cached = torch.tensor([[5.0, 0, 0, 0], [0, 0, 0, 5.0]])
    samples = [DataSample().set_gt_label(i) for i in range(2)]
    for sample, row in zip(samples, cached):
        sample.set_field(row.numpy(), 'teacher_logits')
    losses = model.loss(inputs, samples)
    expected = model.distill_loss(model(inputs), cached)
    assert losses['loss_soft'].item() == pytest.approx(expected.item(),
                                                       rel=1e-5)
    with pytest.raises(ValueError, match='ReplayTeacherView'):
        model.loss(inputs, [DataSample().set_gt_label(0)] * 2)
    # Stored views recorded for a batch crop that this model does not do.
    for sample in samples:
        sample.set_field(np.array([4, 4, 0], np.uint8), 'teacher_view')
    with pytest.raises(ValueError, match='does not apply them'):
        model.loss(inputs, samples)
    # A batch crop on views that ReplayTeacherView already applied.
    batch_crop = MODELS.build(_student_cfg(
        teacher_ckpt, teacher_cache=str(good), data_preprocessor=dict(
            STUDENT_PRE, type='CropFlipClsDataPreprocessor', crop_size=32,
            padding=4)))
    assert batch_crop.loss(inputs, samples)['loss_soft'] > 0
    for sample in samples:
        sample.pop('teacher_view')
    with pytest.raises(ValueError, match='would crop the replayed views'):
        batch_crop.loss(inputs, samples)
