"""Both stages through tools/train.py, evaluation through tools/test.py.

Tiny generated data and few iterations: this checks the plumbing (configs,
registry, runner, checkpoints, resume), not accuracy.
"""
import os
import os.path as osp
import pickle
import re
import subprocess

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmcompact  # noqa: F401

# Small and fast: 48 px teacher input, one epoch, batch 8.
TEACHER_SIZE = 48


def _data_options(root):
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={root}',
                 f'{loader}.batch_size=8']
    return opts


def _run(python, repo_root, tool, *args, cfg_options=(), folder='tools'):
    cmd = [python, osp.join(folder, tool), *args]
    if cfg_options:
        cmd += ['--cfg-options', *cfg_options]
    # The repo first; keep the caller's PYTHONPATH (packages installed there).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (repo_root, os.environ.get('PYTHONPATH')) if p))
    proc = subprocess.run(cmd, cwd=repo_root, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, (
        f'{" ".join(cmd)}\n--- stdout ---\n{proc.stdout[-3000:]}\n'
        f'--- stderr ---\n{proc.stderr[-3000:]}')
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def stages(tmp_path_factory, tiny_cifar, python, repo_root):
    work = tmp_path_factory.mktemp('work')
    teacher_dir, joint_dir = str(work / 'teacher'), str(work / 'joint')
    data = _data_options(tiny_cifar)
    size = f'model.data_preprocessor.size={TEACHER_SIZE}'
    _run(python, repo_root, 'train.py', 'configs/teacher_cifar10.py',
         '--work-dir', teacher_dir, '--amp',
         cfg_options=data + [size, 'train_cfg.max_epochs=1'])
    joint_log = _run(
        python, repo_root, 'train.py', 'configs/joint_cifar10.py',
        '--work-dir', joint_dir, '--amp',
        cfg_options=data + [
            f'model.teacher_ckpt={teacher_dir}',
            f'model.teacher.data_preprocessor.size={TEACHER_SIZE}',
            'train_cfg.max_epochs=1'
        ])
    return dict(teacher=teacher_dir, joint=joint_dir, data=data,
                joint_log=joint_log, python=python, repo_root=repo_root)


def test_teacher_checkpoint_is_a_full_classifier(stages):
    ckpt = torch.load(osp.join(stages['teacher'], 'epoch_1.pth'),
                      weights_only=True)
    keys = ckpt['state_dict'].keys()
    assert any(k.startswith('backbone.layers.8.') for k in keys)
    assert ckpt['state_dict']['head.fc.weight'].shape == (10, 1280)


def test_joint_logs_both_losses(stages):
    assert 'loss_cls:' in stages['joint_log']
    assert 'loss_soft:' in stages['joint_log']


def test_joint_checkpoint_holds_the_student_only(stages):
    from mmpretrain.apis import init_model
    path = osp.join(stages['joint'], 'epoch_1.pth')
    state = torch.load(path, weights_only=True)['state_dict']
    assert not any('teacher' in k for k in state)
    assert {k.split('.')[0] for k in state} == {'backbone', 'head'}
    # Loads as a plain ImageClassifier from the student config.
    model = init_model(
        osp.join(stages['repo_root'], 'configs', 'compact_cifar10.py'),
        path, device='cpu')
    assert type(model).__name__ == 'ImageClassifier'
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_test_tool_evaluates_the_student(stages, tmp_path):
    out = tmp_path / 'metrics.pkl'
    _run(stages['python'], stages['repo_root'], 'test.py',
         'configs/compact_cifar10.py',
         osp.join(stages['joint'], 'epoch_1.pth'), '--out', str(out),
         '--out-item', 'metrics', '--work-dir', str(tmp_path),
         cfg_options=stages['data'])
    with open(out, 'rb') as f:
        metrics = pickle.load(f)
    # The saved student alone reproduces the joint run's own validation
    # (same data: the configs' test loader is the val loader).
    val_top1 = re.findall(r'Epoch\(val\) \[1\]\[\d+/\d+\]\s+'
                          r'accuracy/top1: ([0-9.]+)', stages['joint_log'])
    assert len(val_top1) == 1
    assert metrics['accuracy/top1'] == pytest.approx(float(val_top1[0]),
                                                     abs=1e-4)


@pytest.mark.parametrize('stage,config', [
    ('teacher', 'configs/teacher_cifar10.py'),
    ('joint', 'configs/joint_cifar10.py'),
])
def test_resume_continues_training(stages, stage, config):
    options = stages['data'] + ['train_cfg.max_epochs=2']
    if stage == 'teacher':
        options.append(f'model.data_preprocessor.size={TEACHER_SIZE}')
    else:
        options += [f'model.teacher_ckpt={stages["teacher"]}',
                    f'model.teacher.data_preprocessor.size={TEACHER_SIZE}']
    log = _run(stages['python'], stages['repo_root'], 'train.py', config,
               '--work-dir', stages[stage], '--resume', '--amp',
               cfg_options=options)
    assert 'resumed epoch: 1' in log
    ckpt = torch.load(osp.join(stages[stage], 'epoch_2.pth'),
                      weights_only=True)
    assert ckpt['meta']['epoch'] == 2


def assert_baseline_of(compact, joint):
    """The baseline config is the joint student, same data and schedule."""
    for key in ('backbone', 'neck', 'head', 'data_preprocessor'):
        assert compact.model[key] == joint.model[key]
    for key in ('train_dataloader', 'optim_wrapper', 'param_scheduler',
                'train_cfg'):
        assert compact[key] == joint[key]


def test_joint_config_inherits_the_teacher(repo_root):
    teacher = Config.fromfile(osp.join(repo_root, 'configs',
                                       'teacher_cifar10.py'))
    joint = Config.fromfile(osp.join(repo_root, 'configs',
                                     'joint_cifar10.py'))
    compact = Config.fromfile(osp.join(repo_root, 'configs',
                                       'compact_cifar10.py'))
    assert joint.model.teacher == teacher.model
    assert joint.train_dataloader.dataset.pipeline == \
        teacher.train_dataloader.dataset.pipeline
    assert joint.val_dataloader == teacher.val_dataloader
    assert_baseline_of(compact, joint)


def test_cached_teacher_stage2(stages, tmp_path):
    """tools/cache_teacher.py, then joint training that replays the views."""
    cache = str(tmp_path / 'cache.npz')
    teacher_opts = [f'model.teacher_ckpt={stages["teacher"]}',
                    f'model.teacher.data_preprocessor.size={TEACHER_SIZE}']
    log = _run(stages['python'], stages['repo_root'], 'cache_teacher.py',
               'configs/joint_cifar10.py', '--views', '2', '--out', cache,
               cfg_options=stages['data'] + teacher_opts)
    assert '30 images x 2 views' in log
    data = np.load(cache)
    assert data['logits'].shape == (30, 2, 10)
    assert data['logits'].dtype == np.float16
    log = _run(stages['python'], stages['repo_root'], 'train.py',
               'configs/joint_cifar10_cached.py', '--work-dir',
               str(tmp_path / 'cached'), '--amp',
               cfg_options=stages['data'] + teacher_opts + [
                   f'model.teacher_cache={cache}',
                   f'train_dataloader.dataset.pipeline.0.cache_file={cache}',
                   'train_cfg.max_epochs=1'
               ])
    assert 'loss_soft:' in log
    # A cache of another teacher is refused before training starts.
    other = stages['teacher'] + '_other'
    os.makedirs(other, exist_ok=True)
    # The resume test may have replaced epoch_1.pth by epoch_2.pth.
    with open(osp.join(stages['teacher'], 'last_checkpoint')) as f:
        ckpt = torch.load(f.read().strip(), weights_only=True)
    ckpt['state_dict']['head.fc.bias'] += 1.0
    torch.save(ckpt, osp.join(other, 'epoch_1.pth'))
    with pytest.raises(AssertionError, match='built from another teacher'):
        _run(stages['python'], stages['repo_root'], 'train.py',
             'configs/joint_cifar10_cached.py', '--work-dir',
             str(tmp_path / 'refused'),
             cfg_options=stages['data'] + [
                 f'model.teacher_ckpt={osp.join(other, "epoch_1.pth")}',
                 f'model.teacher.data_preprocessor.size={TEACHER_SIZE}',
                 f'model.teacher_cache={cache}',
                 f'train_dataloader.dataset.pipeline.0.cache_file={cache}'
             ])
