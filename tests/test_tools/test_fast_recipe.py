"""The fast recipe (issue 3): frozen-stage teacher, cached stage 2 with the
CifarVGG student, and its student-alone baseline, through the tools."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from ..conftest import data_options, run_tool, write_small_teacher_config

TEACHER = 'teacher_effnet-lite0-f4-128px_1xb64_cifar10.py'
JOINT = 'configs/joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10.py'
CACHED = 'configs/joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10_cached.py'
COMPACT = 'configs/compact_cifarvgg_1xb512_cifar10.py'


def _config(repo_root, path):
    return Config.fromfile(osp.join(repo_root, path))


def test_fast_configs(repo_root):
    teacher = _config(repo_root, osp.join('configs', TEACHER))
    full_teacher = _config(
        repo_root, 'configs/teacher_effnet-lite0-96px_1xb64_cifar10.py')
    joint = _config(repo_root, JOINT)
    cached = _config(repo_root, CACHED)
    assert teacher.model.backbone.frozen_stages == 4
    assert teacher.model.data_preprocessor.size == 128
    # Otherwise the full-network 96 px teacher.
    teacher.model.backbone.frozen_stages = 0
    full_teacher.model.backbone.frozen_stages = 0
    teacher.model.data_preprocessor.size = 96
    assert teacher.model == full_teacher.model
    assert osp.basename(joint.model.teacher.cfg_path) == TEACHER
    assert joint.model.backbone.type == 'CifarVGG'
    # Lean data path: crop/flip drawn on the stacked batch.
    assert joint.data_preprocessor.type == 'RandomViewClsDataPreprocessor'
    assert joint.data_preprocessor.view == dict(type='PadCrop',
                                                crop_size=32, padding=4)
    assert joint.train_dataloader.collate_fn.type == 'default_collate'
    assert joint.train_dataloader.dataset.pipeline == [dict(
        type='PackInputs')]
    # Cached: only the cache is added; the same preprocessor and pipeline
    # replay the stored views.
    assert cached.model.teacher_cache.endswith('teacher_cache_8v.npz')
    assert cached.data_preprocessor == joint.data_preprocessor
    assert cached.train_dataloader == joint.train_dataloader


@pytest.fixture(scope='module')
def fast_teacher(tmp_path_factory, tiny_cifar, python, repo_root):
    tmp = tmp_path_factory.mktemp('fast')
    config = write_small_teacher_config(tmp, TEACHER)
    work = str(tmp / 'teacher')
    run_tool(python, repo_root, 'train.py', config, '--work-dir', work,
             '--amp', cfg_options=data_options(tiny_cifar) + [
                 'train_cfg.max_epochs=1'])
    return dict(config=config, work=work)


def test_fast_teacher_keeps_frozen_stages(fast_teacher):
    cfg = Config.fromfile(fast_teacher['config'])
    start = MODELS.build(cfg.model)
    start.init_weights()  # the ImageNet weights training started from
    start = start.state_dict()
    trained = torch.load(osp.join(fast_teacher['work'], 'epoch_1.pth'),
                         weights_only=True)['state_dict']
    for key, value in start.items():
        if not key.startswith('backbone.layers.'):
            continue
        layer = int(key.split('.')[2])
        if layer < 4:  # stem and MBConv stages 1-3: weights and BN stats
            assert torch.equal(trained[key], value), key
    changed = [k for k in start if k.startswith('backbone.layers.4.')
               and k.endswith('weight')
               and not torch.equal(trained[k], start[k])]
    assert changed


def test_fast_cached_stage2_and_test_tool(fast_teacher, tiny_cifar, python,
                                          repo_root, tmp_path):
    data = data_options(tiny_cifar)
    cache = str(tmp_path / 'cache.npz')
    teacher_opts = [f'model.teacher.cfg_path={fast_teacher["config"]}',
                    f'model.teacher_ckpt={fast_teacher["work"]}']
    run_tool(python, repo_root, 'cache_teacher.py', JOINT, '--views', '2',
             '--out', cache, '--amp', cfg_options=data + teacher_opts)
    views = np.load(cache)['views']
    assert views.shape == (30, 2, 5)
    assert views[..., :2].min() >= -4 and views[..., :2].max() <= 4
    assert (views[..., 2:4] == 32).all()
    joint = str(tmp_path / 'joint')
    log = run_tool(python, repo_root, 'train.py', CACHED, '--work-dir',
                   joint, '--amp', cfg_options=data + teacher_opts + [
                       f'model.teacher_cache={cache}',
                       'train_cfg.max_epochs=1'
                   ])
    assert 'loss_soft:' in log
    state = torch.load(osp.join(joint, 'epoch_1.pth'),
                       weights_only=True)['state_dict']
    assert state['backbone.layers.2.conv2.weight'].shape == (128, 128, 3, 3)
    # The student-alone config loads and tests the joint checkpoint.
    log = run_tool(python, repo_root, 'test.py', COMPACT,
                   osp.join(joint, 'epoch_1.pth'), '--work-dir',
                   str(tmp_path / 'test'), cfg_options=data)
    assert 'accuracy/top1' in log
