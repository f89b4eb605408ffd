"""The fast recipe (issue 3): frozen-stage teacher, cached stage 2 with the
CifarVGG student, and its student-alone baseline, through the tools."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from .test_train_test_tools import (TEACHER_SIZE, _data_options, _run,
                                    assert_baseline_of)


def _config(repo_root, name):
    return Config.fromfile(osp.join(repo_root, 'configs', f'{name}.py'))


def test_fast_configs_inherit(repo_root):
    teacher = _config(repo_root, 'teacher_fast_cifar10')
    joint = _config(repo_root, 'joint_fast_cifar10')
    cached = _config(repo_root, 'joint_fast_cifar10_cached')
    compact = _config(repo_root, 'compact_fast_cifar10')
    assert teacher.model.backbone.frozen_stages == 4
    assert joint.model.teacher == teacher.model
    assert joint.model.teacher_config == 'configs/teacher_fast_cifar10.py'
    assert joint.model.backbone.type == 'CifarVGG'
    # Lean data path: crop/flip on the batch, stored views replayed there.
    assert joint.model.data_preprocessor.type == \
        'CropFlipClsDataPreprocessor'
    assert joint.train_dataloader.dataset.pipeline == [dict(
        type='PackInputs')]
    replay, pack = cached.train_dataloader.dataset.pipeline
    assert replay.type == 'ReplayTeacherView' and not replay.apply_view
    assert pack.algorithm_keys == ['teacher_logits', 'teacher_view']
    assert cached.model.teacher_cache == \
        cached.train_dataloader.dataset.pipeline[0].cache_file
    assert_baseline_of(compact, joint)


@pytest.fixture(scope='module')
def fast_teacher(tmp_path_factory, tiny_cifar, python, repo_root):
    work = str(tmp_path_factory.mktemp('fast') / 'teacher')
    _run(python, repo_root, 'train.py', 'configs/teacher_fast_cifar10.py',
         '--work-dir', work, '--amp',
         cfg_options=_data_options(tiny_cifar) + [
             f'model.data_preprocessor.size={TEACHER_SIZE}',
             'train_cfg.max_epochs=1'
         ])
    return work


def test_fast_teacher_keeps_frozen_stages(fast_teacher, repo_root):
    cfg = _config(repo_root, 'teacher_fast_cifar10')
    start = MODELS.build(cfg.model)
    start.init_weights()  # the ImageNet weights training started from
    start = start.state_dict()
    trained = torch.load(osp.join(fast_teacher, 'epoch_1.pth'),
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
    data = _data_options(tiny_cifar)
    cache = str(tmp_path / 'cache.npz')
    teacher_opts = [f'model.teacher_ckpt={fast_teacher}',
                    f'model.teacher.data_preprocessor.size={TEACHER_SIZE}']
    _run(python, repo_root, 'cache_teacher.py',
         'configs/joint_fast_cifar10.py', '--views', '2', '--out', cache,
         '--amp', cfg_options=data + teacher_opts)
    joint = str(tmp_path / 'joint')
    log = _run(python, repo_root, 'train.py',
               'configs/joint_fast_cifar10_cached.py', '--work-dir', joint,
               '--amp', cfg_options=data + teacher_opts + [
                   f'model.teacher_cache={cache}',
                   f'train_dataloader.dataset.pipeline.0.cache_file={cache}',
                   'train_cfg.max_epochs=1'
               ])
    assert 'loss_soft:' in log
    state = torch.load(osp.join(joint, 'epoch_1.pth'),
                       weights_only=True)['state_dict']
    assert state['backbone.layers.2.conv2.weight'].shape == (128, 128, 3, 3)
    # The student-alone config loads and tests the joint checkpoint.
    log = _run(python, repo_root, 'test.py', 'configs/compact_fast_cifar10.py',
               osp.join(joint, 'epoch_1.pth'), '--work-dir',
               str(tmp_path / 'test'), cfg_options=data)
    assert 'accuracy/top1' in log
