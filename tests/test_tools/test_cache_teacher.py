"""tools/cache_teacher.py and the cache it writes (version 2), end to end.

The tool runs in this process on tiny generated data for a CIFAR-like
pad-and-crop student and a scene-like random-resized-crop student; the
tests then check that the student replays exactly the views the teacher's
logits were computed on.
"""
import copy
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.model import BaseModule
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS

import mmcompact  # noqa: F401
from mmcompact.teacher import (crop_views, dataset_fingerprint,
                               load_teacher_cache, load_teacher_cache_meta,
                               teacher_fingerprint)
from mmcompact.teacher.cached_teacher import CACHE_VERSION

from ..conftest import (STUDENT_PRE, make_class_folders, run_dist_script,
                        save_checkpoint, write_config)
from .conftest import load_script


@MODELS.register_module(force=True)
class PixelProbe(BaseModule):
    """Backbone of a toy teacher whose logits follow every pixel.

    A random CNN with global pooling hardly tells a view from the same view
    resampled; a linear layer on the (slightly pooled) pixels does, so the
    cached logits say which pixels the teacher saw.
    """

    def forward(self, x):
        return (F.adaptive_avg_pool2d(x, 20).flatten(1), )


NUM_VIEWS = 3
TEACHER_SIZE = 40
PROBE_TEACHER = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='RandomViewClsDataPreprocessor', size=TEACHER_SIZE,
        num_classes=4, mean=[127.0] * 3, std=[128.0] * 3),
    backbone=dict(type='PixelProbe'),
    head=dict(type='LinearClsHead', num_classes=4, in_channels=3 * 20 * 20,
              init_cfg=dict(type='Normal', layer='Linear', std=0.1)))
# Stored image side, student input size and view of the two recipes.
SETUPS = {
    # CIFAR: 32 px images as they are, zero-padded random crops.
    'pad_crop': dict(
        stored=32, image_size=None, original=(32, 32), student=32,
        view=dict(type='PadCrop', crop_size=32, padding=4)),
    # Scenes: photos squared to 40 px at decode, random-resized crops shown
    # to the student at 24 px and to the teacher at 40 px.
    'resized_crop': dict(
        stored=40, image_size=40, original=(50, 60), student=24,
        view=dict(type='ResizedCrop', scale=(0.25, 1.0))),
}


@pytest.fixture(scope='module')
def cache_tool():
    return load_script('tools/cache_teacher.py')


def run_cache_tool(cache_tool, *argv):
    """``python tools/cache_teacher.py *argv``, in this process."""
    saved = sys.argv
    sys.argv = ['cache_teacher.py', *argv]
    try:
        cache_tool.main()
    finally:
        sys.argv = saved


def _joint_config(folder, root, setup, teacher_config, teacher_ckpt,
                  name='joint.py', pre=None):
    """A joint config as the repo's: student fields and data top-level."""
    model = dict(
        type='JointLearningClassifier',
        teacher=dict(cfg_path=teacher_config),
        teacher_ckpt=teacher_ckpt,
        backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=64))
    pre = pre or dict(STUDENT_PRE, type='RandomViewClsDataPreprocessor',
                      size=setup['student'], view=setup['view'])
    dataset = dict(type='InMemoryCustomDataset', data_root=root,
                   data_prefix='train', image_size=setup['image_size'],
                   pipeline=[dict(type='PackInputs')])
    loader = dict(batch_size=4, collate_fn=dict(type='default_collate'),
                  dataset=dataset)
    return write_config(
        osp.join(folder, name),
        f'model = {model!r}\ndata_preprocessor = {pre!r}\n'
        f'train_dataloader = {loader!r}\n')


@pytest.fixture(scope='module', params=sorted(SETUPS))
def built(request, tmp_path_factory, cache_tool):
    """The tool's cache for one setup, and everything it was built from."""
    setup = SETUPS[request.param]
    tmp = tmp_path_factory.mktemp(request.param)
    root = str(tmp / 'data')
    for split, seed in (('train', 0), ('test', 1)):
        make_class_folders(osp.join(root, split), per_class=3,
                           size=setup['original'], seed=seed)
    teacher_config = write_config(tmp / 'teacher_toy.py',
                                  f'model = {PROBE_TEACHER!r}\n')
    teacher_ckpt = save_checkpoint(PROBE_TEACHER, tmp / 'epoch_1.pth')
    config = _joint_config(tmp, root, setup, teacher_config, teacher_ckpt)
    cache = str(tmp / 'cache.npz')
    run_cache_tool(cache_tool, config, '--views', str(NUM_VIEWS), '--out',
                   cache, '--batch-size', '5')
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config)
    teacher = MODELS.build(copy.deepcopy(PROBE_TEACHER))
    teacher.load_state_dict(
        torch.load(teacher_ckpt, weights_only=True)['state_dict'])
    dataset_cfg = dict(cfg.train_dataloader.dataset, pipeline=[])
    return dict(setup, name=request.param, tmp=tmp, root=root, cfg=cfg,
                config=config, cache=cache, teacher=teacher.eval(),
                student_pre=MODELS.build(cfg.data_preprocessor),
                dataset=DATASETS.build(dataset_cfg),
                teacher_config=teacher_config)


def _images(dataset):
    return torch.stack([
        torch.from_numpy(dataset.get_data_info(i)['img']).permute(2, 0, 1)
        for i in range(len(dataset))
    ])


def _dataset(built, **dataset):
    """The training set as the joint config packs it (PackInputs only)."""
    cfg = dict(built['cfg'].train_dataloader.dataset,
               pipeline=[dict(type='PackInputs')])
    cfg.update(dataset)
    return DATASETS.build(cfg)


def _first_batch(built, dataset, n=4):
    """The joint model's training preprocessor on ``n`` samples."""
    batch = default_collate([dataset[i] for i in range(n)])
    return _joint_model(built).data_preprocessor(batch, training=True)


def _joint_model(built, **kwargs):
    cfg = copy.deepcopy(built['cfg'])
    model = dict(cfg.model, data_preprocessor=cfg.data_preprocessor,
                 teacher_cache=built['cache'])
    model.update(kwargs)
    return MODELS.build(model)


def test_tool_writes_a_version_2_cache(built):
    cache = load_teacher_cache(built['cache'])
    n, side = len(built['dataset']), built['stored']
    assert n == 12
    assert cache['logits'].shape == (n, NUM_VIEWS, 4)
    assert cache['logits'].dtype == np.float16
    assert cache['views'].shape == (n, NUM_VIEWS, 5)
    assert cache['views'].dtype == np.int16
    infos = [built['dataset'].get_data_info(i) for i in range(n)]
    assert all(i['img'].shape == (side, side, 3) for i in infos)
    rel = [osp.relpath(i['img_path'], built['root']) for i in infos]
    assert list(cache['rel_paths']) == rel and rel[0] == 'train/a/0.png'
    meta = cache['meta']
    assert meta['version'] == CACHE_VERSION == 2
    assert meta['view'] == built['student_pre'].view
    assert meta['image_shape'] == (side, side)
    assert meta['teacher_size'] == (TEACHER_SIZE, TEACHER_SIZE)
    assert meta['num_views'] == NUM_VIEWS and meta['seed'] == 0
    assert meta['teacher'] == teacher_fingerprint(built['teacher'])
    assert meta['data'] == dataset_fingerprint(
        rel, [i['gt_label'] for i in infos])


def test_two_processes_write_the_same_cache(built, python, repo_root):
    """``tools/dist_cache_teacher.sh`` over 2 gloo processes."""
    out = str(built['tmp'] / 'dist_cache.npz')
    # The worker processes register the toy teacher through this module.
    config = write_config(
        built['tmp'] / 'joint_dist.py',
        f'_base_ = [{built["config"]!r}]\ncustom_imports = dict(imports=['
        f'{__name__!r}], allow_failed_imports=False)\n')
    log = run_dist_script(python, repo_root, 'dist_cache_teacher.sh',
                          config, '2', '--views', str(NUM_VIEWS),
                          '--out', out, '--batch-size', '5')
    assert '2 process(es)' in log
    one, two = load_teacher_cache(built['cache']), load_teacher_cache(out)
    # The same views on both ranks, each batch run by one of them.
    assert np.array_equal(one['views'], two['views'])
    assert list(one['rel_paths']) == list(two['rel_paths'])
    # Equal but for the order of sums (threads per process).
    scale = np.abs(one['logits']).max()
    assert np.allclose(one['logits'], two['logits'], rtol=0, atol=2e-3 * scale)
    assert not np.isnan(two['logits']).any()
    assert {k: v for k, v in one['meta'].items() if k != 'created'} == \
        {k: v for k, v in two['meta'].items() if k != 'created'}
    # Rank 0 wrote it once, by a rename: no temporary file is left.
    assert sorted(os.listdir(built['tmp'])).count('dist_cache.npz') == 1
    assert not [f for f in os.listdir(built['tmp']) if 'tmp' in f]


def test_stored_views_are_the_student_views(built):
    views = torch.from_numpy(
        load_teacher_cache(built['cache'])['views']).long()
    n, side = len(built['dataset']), built['stored']
    # Drawn by the student's own preprocessor, seeded by --seed.
    torch.manual_seed(0)
    drawn = built['student_pre'].sample_views(n * NUM_VIEWS, side, side)
    assert torch.equal(views.view(-1, 5), drawn)
    top, left, height, width, flip = views.view(-1, 5).T
    assert set(flip.tolist()) == {0, 1}
    if built['name'] == 'pad_crop':
        assert top.min() >= -4 and top.max() <= 4 and left.min() >= -4
        assert (height == 32).all() and (width == 32).all()
    else:
        assert top.min() >= 0 and (top + height).max() <= side
        assert left.min() >= 0 and (left + width).max() <= side
        assert len(set(height.tolist())) > 3  # boxes of many sizes


def test_cached_logits_are_the_teacher_logits_of_the_view(built):
    cache = load_teacher_cache(built['cache'])
    images = _images(built['dataset'])
    views = torch.from_numpy(cache['views']).long().view(-1, 5)
    teacher = built['teacher']
    pixels = crop_views(images.repeat_interleave(NUM_VIEWS, 0), views,
                        (TEACHER_SIZE, TEACHER_SIZE))
    with torch.no_grad():
        inputs = teacher.data_preprocessor({'inputs': pixels})['inputs']
        logits = teacher(inputs).view(-1, NUM_VIEWS, 4)
    cached = torch.from_numpy(cache['logits']).float()
    scale = logits.abs().max()
    assert torch.allclose(cached, logits, atol=2e-3 * scale)
    # Each view has logits of its own: those of another view of the same
    # image would not pass the check above.
    other = logits.roll(1, dims=1)
    diff = (cached - other).abs().amax(-1)
    views = views.view(-1, NUM_VIEWS, 5)
    differ = (views != views.roll(1, dims=1)).any(-1)
    assert differ.float().mean() > 0.9
    assert (diff[differ] > 0.02 * scale).all()


def test_student_replays_the_teacher_view(built):
    cache = load_teacher_cache(built['cache'])
    views = torch.from_numpy(cache['views']).long()
    logits = torch.from_numpy(cache['logits']).float()
    dataset = _dataset(built)
    items = [dataset[i] for i in range(len(dataset))]
    pre = _joint_model(built).data_preprocessor
    side = built['stored']
    torch.manual_seed(0)
    picked = pre.teacher_cache.replay([i['data_samples'] for i in items],
                                      (side, side))
    for idx, (item, view) in enumerate(zip(items, picked)):
        # A stored view of this image, with that view's logits.
        matches = [v for v in range(NUM_VIEWS) if torch.equal(
            views[idx, v], view)]
        assert matches
        assert torch.equal(item['data_samples'].teacher_logits,
                           logits[idx, matches[0]])
    # The student's preprocessor cuts these views out of the batch.
    torch.manual_seed(0)
    student = pre(default_collate(items), training=True)['inputs']
    student = student * pre.std + pre.mean  # back to pixels
    images = _images(built['dataset'])
    size = (built['student'], ) * 2
    assert student.shape == (len(items), 3, *size)
    assert torch.allclose(student, crop_views(images, picked, size).float(),
                          atol=1e-3)
    # The same boxes at the teacher's size, brought to the student's size,
    # show the student's pixels: the teacher saw the student's view.
    teacher_px = crop_views(images, picked, (TEACHER_SIZE, TEACHER_SIZE))
    resized = F.interpolate(teacher_px.float(), size=size, mode='bilinear',
                            align_corners=False, antialias=True)
    err = (resized - student).abs()
    # Off by a little where resampling meets the edges of the zero padding.
    assert err.mean() < 5 and err.median() < 2
    shifted = picked + torch.tensor([1, 1, 0, 0, 0])
    other = crop_views(images, shifted, size).float()
    assert (other - student).abs().mean() > 5 * err.mean()


def test_joint_model_trains_on_the_cache(built):
    model = _joint_model(built)

    def no_teacher(*args, **kwargs):
        raise AssertionError('the teacher ran although logits are cached')

    model.teacher.forward = no_teacher
    dataset = _dataset(built)
    batch = default_collate([dataset[i] for i in range(4)])
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    model.train()
    log = model.train_step(batch, optim)
    assert log['loss_soft'] > 0 and log['loss_cls'] > 0


def test_another_teacher_is_refused(built, tmp_path):
    other = save_checkpoint(PROBE_TEACHER, tmp_path / 'other.pth', seed=1)
    with pytest.raises(ValueError, match='built from another teacher'):
        _joint_model(built, teacher_ckpt=other)
    # Same weights at another input size: another teacher too.
    bigger = write_config(
        tmp_path / 'teacher_48px.py',
        f'model = {PROBE_TEACHER!r}\n'
        'model["data_preprocessor"]["size"] = 48\n')
    with pytest.raises(ValueError, match='built from another teacher'):
        _joint_model(built, teacher=dict(cfg_path=bigger))
    assert _joint_model(built).teacher_cache == built['cache']


def test_another_view_config_is_refused(built):
    pre = dict(built['cfg'].data_preprocessor)
    view = dict(pre['view'])
    if view['type'] == 'PadCrop':
        view['padding'] = 2
    else:
        view['scale'] = (0.5, 1.0)
    with pytest.raises(ValueError, match='holds views drawn as'):
        _joint_model(built, data_preprocessor=dict(pre, view=view))
    with pytest.raises(ValueError, match='holds views drawn as'):
        _joint_model(built, data_preprocessor=dict(
            pre, view=dict(type='PadCrop', crop_size=40)
            if view['type'] == 'ResizedCrop' else dict(type='ResizedCrop')))


def test_another_image_size_is_refused(built):
    # At the first batch, before the first training step.
    side = built['stored'] - 4
    with pytest.raises(ValueError, match=rf'built on \({side + 4}, '
                       rf'{side + 4}\) images, but the batch holds images '
                       rf'of \({side}, {side}\).*image_size changed'):
        _first_batch(built, _dataset(built, image_size=side))


def test_another_data_set_is_refused(built):
    with pytest.raises(ValueError, match='does not match the data set: '
                       'sample 0 is .*test/a/0.png.*train/a/0.png'):
        _first_batch(built, _dataset(built, data_prefix='test'))
    with pytest.raises(FileNotFoundError, match='tools/cache_teacher.py'):
        _joint_model(built, teacher_cache=str(built['tmp'] / 'missing.npz'))


def test_older_cache_version_is_refused(built, tmp_path):
    # A version-1 cache: (dy, dx, flip) uint8 views.
    old = dict(np.load(built['cache']))
    meta = load_teacher_cache_meta(built['cache'])
    old['views'] = old['views'][..., [0, 1, 4]].astype(np.uint8)
    old['meta'] = np.asarray(repr(dict(meta, version=1)))
    path = str(tmp_path / 'old.npz')
    np.savez(path, **old)
    for load in (load_teacher_cache, load_teacher_cache_meta):
        with pytest.raises(ValueError, match='has version 1, expected 2; '
                           'rebuild it'):
            load(path)
    with pytest.raises(ValueError, match='has version 1'):
        _joint_model(built, teacher_cache=path)


def test_tool_refuses_configs_without_views(built, cache_tool, tmp_path):
    setup = dict(built, view=None)
    config = _joint_config(tmp_path, built['root'], setup,
                           built['teacher_config'],
                           built['cfg'].model.teacher_ckpt)
    with pytest.raises(ValueError, match=r'\(RandomViewClsDataPreprocessor'
                       r'\) draws no views'):
        run_cache_tool(cache_tool, config, '--out', str(tmp_path / 'c.npz'))
    # A config whose pipeline augments (no preprocessor type, as the
    # ResNet-20 joint config).
    config = _joint_config(tmp_path, built['root'], built,
                           built['teacher_config'],
                           built['cfg'].model.teacher_ckpt, 'plain.py',
                           pre=STUDENT_PRE)
    with pytest.raises(ValueError,
                       match=r'\(ClsDataPreprocessor\) draws no views'):
        run_cache_tool(cache_tool, config, '--out', str(tmp_path / 'c.npz'))
    # Photos of several sizes need the data set's image_size.
    mixed = str(tmp_path / 'mixed' / 'train')
    make_class_folders(mixed, ('a', ), per_class=1, size=(30, 40))
    make_class_folders(mixed, ('b', ), per_class=1, size=(40, 30))
    setup = dict(built, image_size=None)
    config = _joint_config(tmp_path, str(tmp_path / 'mixed'), setup,
                           built['teacher_config'],
                           built['cfg'].model.teacher_ckpt, 'mixed.py')
    with pytest.raises(ValueError, match='2 different shapes.*image_size'):
        run_cache_tool(cache_tool, config, '--out', str(tmp_path / 'c.npz'))
    assert not osp.exists(tmp_path / 'c.npz')
