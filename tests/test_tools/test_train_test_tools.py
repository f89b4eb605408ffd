"""Both stages through tools/train.py, evaluation through tools/test.py.

Tiny generated data and few iterations: this checks the plumbing (configs,
registry, runner, checkpoints, resume), not accuracy. The teacher is the
stage-1 config at 48 px (a config inheriting it), which the joint configs
take through ``model.teacher.cfg_path``.
"""
import copy
import os.path as osp
import pickle
import re
import shutil

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import mmcompact  # noqa: F401

from ..conftest import (TEACHER_SIZE, data_options, run_tool,
                        write_small_teacher_config)

TEACHER = 'teacher_effnet-lite0-96px_1xb64_cifar10.py'
JOINT = 'configs/joint_effnet-lite0_resnet20_1xb128_cifar10.py'
CACHED = 'configs/joint_effnet-lite0_resnet20_1xb128_cifar10_cached.py'
COMPACT = 'configs/compact_resnet20_1xb128_cifar10.py'
# The ResNet-20 configs compile their student for training (CompileHook),
# which takes minutes for the few batches of each shape that these runs
# have; the plumbing is the same eager (the hook has its own tests).
EAGER = ['custom_hooks=[]']


@pytest.fixture(scope='module')
def stages(tmp_path_factory, tiny_cifar, python, repo_root):
    work = tmp_path_factory.mktemp('work')
    teacher_cfg = write_small_teacher_config(work, TEACHER)
    teacher_dir, joint_dir = str(work / 'teacher'), str(work / 'joint')
    data = data_options(tiny_cifar)
    teacher_log = run_tool(
        python, repo_root, 'train.py', teacher_cfg, '--work-dir',
        teacher_dir, '--amp',
        cfg_options=data + ['train_cfg.max_epochs=1'])
    joint_opts = [f'model.teacher.cfg_path={teacher_cfg}',
                  f'model.teacher_ckpt={teacher_dir}'] + EAGER
    joint_log = run_tool(
        python, repo_root, 'train.py', JOINT, '--work-dir', joint_dir,
        '--amp', cfg_options=data + joint_opts + ['train_cfg.max_epochs=1'])
    return dict(teacher=teacher_dir, joint=joint_dir, data=data,
                teacher_cfg=teacher_cfg, joint_opts=joint_opts,
                teacher_log=teacher_log, joint_log=joint_log, python=python,
                repo_root=repo_root)


def test_teacher_checkpoint_is_a_full_classifier(stages):
    ckpt = torch.load(osp.join(stages['teacher'], 'epoch_1.pth'),
                      weights_only=True)
    keys = ckpt['state_dict'].keys()
    assert any(k.startswith('backbone.layers.8.') for k in keys)
    assert ckpt['state_dict']['head.fc.weight'].shape == (10, 1280)
    # The model base's hook runs the teacher on NHWC tensors.
    assert re.search(r'\(VERY_HIGH\s*\) ChannelsLastHook',
                     stages['teacher_log'])


def test_joint_logs_both_losses(stages):
    assert 'loss_cls:' in stages['joint_log']
    assert 'loss_soft:' in stages['joint_log']
    # The teacher came from its stage-1 work dir (its last_checkpoint).
    assert osp.join(stages['teacher'], 'epoch_1.pth') in stages['joint_log']


def test_joint_checkpoint_holds_the_student_only(stages):
    from mmpretrain.apis import init_model
    path = osp.join(stages['joint'], 'epoch_1.pth')
    state = torch.load(path, weights_only=True)['state_dict']
    assert not any('teacher' in k for k in state)
    assert {k.split('.')[0] for k in state} == {'backbone', 'head'}
    # Loads as a plain ImageClassifier from the student config.
    model = init_model(osp.join(stages['repo_root'], COMPACT), path,
                       device='cpu')
    assert type(model).__name__ == 'ImageClassifier'
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_test_tool_refuses_a_checkpoint_of_another_model(stages, tmp_path):
    # The ResNet-20 student's checkpoint under the CifarVGG student's config:
    # mmengine alone would warn and test a half-random network.
    out = run_tool(stages['python'], stages['repo_root'], 'test.py',
                   'configs/compact_cifarvgg_1xb512_cifar10.py',
                   osp.join(stages['joint'], 'epoch_1.pth'), '--work-dir',
                   str(tmp_path), cfg_options=stages['data'], returncode=1)
    assert re.search(r'ValueError: Checkpoint ".*epoch_1\.pth" does not fit '
                     r'the model: \d+ missing keys \[backbone\.', out)
    assert 'Epoch(test)' not in out


def test_test_tool_evaluates_the_student(stages, tmp_path):
    out = tmp_path / 'metrics.pkl'
    run_tool(stages['python'], stages['repo_root'], 'test.py', COMPACT,
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


@pytest.mark.parametrize('stage', ['teacher', 'joint'])
def test_resume_continues_training(stages, stage, tmp_path):
    # Resume a copy: the other tests keep the one-epoch work dirs.
    work = str(tmp_path / stage)
    shutil.copytree(stages[stage], work)
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'epoch_1.pth'))
    options = stages['data'] + ['train_cfg.max_epochs=2']
    if stage == 'teacher':
        config = stages['teacher_cfg']
    else:
        config, options = JOINT, options + stages['joint_opts']
    log = run_tool(stages['python'], stages['repo_root'], 'train.py', config,
                   '--work-dir', work, '--resume', '--amp',
                   cfg_options=options)
    assert 'resumed epoch: 1' in log
    ckpt = torch.load(osp.join(work, 'epoch_2.pth'), weights_only=True)
    assert ckpt['meta']['epoch'] == 2
    assert not osp.exists(osp.join(stages[stage], 'epoch_2.pth'))


def test_cached_teacher_stage2(stages, tmp_path):
    """tools/cache_teacher.py, then joint training that replays the views."""
    cache = str(tmp_path / 'cache.npz')
    log = run_tool(stages['python'], stages['repo_root'], 'cache_teacher.py',
                   CACHED, '--views', '2', '--out', cache,
                   cfg_options=stages['data'] + stages['joint_opts'])
    assert '30 images x 2 views' in log
    data = np.load(cache)
    assert data['logits'].shape == (30, 2, 10)
    assert data['logits'].dtype == np.float16
    assert data['views'].shape == (30, 2, 5)
    assert data['views'].dtype == np.int16
    cached_opts = stages['data'] + stages['joint_opts'] + [
        f'model.teacher_cache={cache}'
    ]
    log = run_tool(stages['python'], stages['repo_root'], 'train.py',
                   CACHED, '--work-dir', str(tmp_path / 'cached'), '--amp',
                   cfg_options=cached_opts + ['train_cfg.max_epochs=1'])
    assert 'loss_soft:' in log
    # The cache of another teacher is refused when the model is built.
    cfg = Config.fromfile(osp.join(stages['repo_root'], CACHED))
    cfg.merge_from_dict({'model.teacher.cfg_path': stages['teacher_cfg'],
                         'model.teacher_cache': cache})
    ckpt = torch.load(osp.join(stages['teacher'], 'epoch_1.pth'),
                      weights_only=True)
    ckpt['state_dict']['head.fc.bias'] += 1.0
    other = str(tmp_path / 'other.pth')
    torch.save(ckpt, other)
    init_default_scope('mmpretrain')
    model = dict(copy.deepcopy(cfg.model), teacher_ckpt=stages['teacher'],
                 data_preprocessor=cfg.data_preprocessor)
    assert MODELS.build(copy.deepcopy(model)).teacher_cache == cache
    with pytest.raises(ValueError, match='built from another teacher'):
        MODELS.build(dict(model, teacher_ckpt=other))


def test_small_teacher_config_is_the_stage1_config(stages, repo_root):
    """The 48 px config the tests train differs in the input size only."""
    small = Config.fromfile(stages['teacher_cfg'])
    full = Config.fromfile(osp.join(repo_root, 'configs', TEACHER))
    assert small.model.data_preprocessor.size == TEACHER_SIZE
    small.model.data_preprocessor.size = full.model.data_preprocessor.size
    assert small.to_dict() == full.to_dict()
