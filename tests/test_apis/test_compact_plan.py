"""CompactPlan: which config, work dir, cache path and options each stage
of ``tools/compact.py`` gets, checked on the repository's configs without
training."""
import glob
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmcompact.apis import (CompactPlan, schedule_length, stage_progress,
                            student_config)

from ..conftest import REPO_ROOT, write_config

JOINT = 'configs/joint_effnet-lite0-f4_cifarvgg_1xb64_uci_digits_cached.py'
TEACHER = 'teacher_effnet-lite0-f4-48px_1xb64_uci_digits'
COMPACT = 'compact_cifarvgg-16px_1xb64_uci_digits'
ONLINE = 'configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes.py'


@pytest.fixture
def in_repo(monkeypatch):
    """Relative config paths (and default work dirs) as from the repo."""
    monkeypatch.chdir(REPO_ROOT)


@pytest.mark.parametrize('name', sorted(
    osp.basename(p)
    for p in glob.glob(osp.join(REPO_ROOT, 'configs', 'joint_*.py'))))
def test_student_config_is_the_inherited_compact_config(name):
    path = student_config(osp.join(REPO_ROOT, 'configs', name))
    assert osp.basename(path).startswith('compact_')
    joint, student = Config.fromfile(osp.join(REPO_ROOT, 'configs',
                                              name)), Config.fromfile(path)
    for key in ('backbone', 'neck', 'head'):
        assert joint.model[key] == student.model[key]


def test_student_config_missing(tmp_path):
    path = write_config(tmp_path / 'joint_x.py', 'model = dict()\n')
    with pytest.raises(ValueError, match='no configs/compact_'):
        student_config(path)


def test_plan_derives_the_cache_path_once(in_repo, tmp_path):
    run = CompactPlan(JOINT, {}, str(tmp_path), 'auto')
    teacher_dir = osp.join(str(tmp_path), TEACHER)
    assert run.teacher.work_dir == teacher_dir
    assert run.joint.cfg.model.teacher_ckpt == teacher_dir
    cache = osp.join(teacher_dir, 'teacher_cache_4v.npz')
    assert (run.cache.output, run.cache.views) == (cache, 4)
    assert run.joint.cfg.model.teacher_cache == cache
    assert run.baseline.config == osp.join(REPO_ROOT, 'configs',
                                           f'{COMPACT}.py')
    assert run.baseline.work_dir == osp.join(str(tmp_path), COMPACT)


def test_plan_default_work_dirs_are_the_step_by_step_ones(in_repo):
    run = CompactPlan(JOINT, {})
    assert run.teacher.work_dir == osp.join('work_dirs', TEACHER)
    # The config's own cache path: what the step-by-step commands use.
    assert run.cache.output == Config.fromfile(JOINT).model.teacher_cache
    assert run.joint.work_dir == osp.join('work_dirs', osp.basename(
        JOINT)[:-3])
    assert run.baseline is None
    assert CompactPlan(ONLINE, {}).cache is None


def test_options_reach_the_stages_that_have_the_key(in_repo):
    run = CompactPlan(JOINT, {'train_cfg.max_epochs': 2,
                              'model.hard_loss_weight': 0.25,
                              'train_dataloader.batch_size': 16},
                      baseline='auto')
    for stage in (run.teacher, run.joint, run.baseline):
        assert stage.cfg.train_cfg.max_epochs == 2
        assert stage.cfg.train_dataloader.batch_size == 16
    assert run.joint.cfg.model.hard_loss_weight == 0.25
    assert 'hard_loss_weight' not in run.teacher.cfg.model
    assert 'hard_loss_weight' not in run.baseline.cfg.model


def test_plan_refuses_bad_configs(in_repo, tmp_path):
    with pytest.raises(ValueError, match='dict\\(cfg_path='):
        CompactPlan(f'configs/{COMPACT}.py', {})
    joint = osp.join(REPO_ROOT, JOINT)
    bad_name = write_config(
        tmp_path / 'joint_a.py', f'_base_ = [{joint!r}]\n'
        "model = dict(teacher_cache='work_dirs/t/cache.npz')\n")
    with pytest.raises(ValueError, match='teacher_cache_<views>v.npz'):
        CompactPlan(bad_name, {})
    with pytest.raises(FileNotFoundError, match='does not exist'):
        CompactPlan(JOINT, {'model.teacher_ckpt': f'{tmp_path}/missing.pth'})


def test_stage_progress(tmp_path):
    cfg = Config(dict(train_cfg=dict(by_epoch=True, max_epochs=3)))
    assert stage_progress(str(tmp_path), cfg) == (None, 0)
    ckpt = str(tmp_path / 'epoch_2.pth')
    torch.save({'meta': {'epoch': 2, 'iter': 8}}, ckpt)
    (tmp_path / 'last_checkpoint').write_text(ckpt)
    assert stage_progress(str(tmp_path), cfg) == (ckpt, 2)
    assert stage_progress(str(tmp_path), Config(
        dict(train_cfg=dict(max_iters=10)))) == (ckpt, 8)
    os.remove(ckpt)
    with pytest.raises(FileNotFoundError, match='last_checkpoint'):
        stage_progress(str(tmp_path), cfg)
    with pytest.raises(ValueError, match='max_epochs nor max_iters'):
        schedule_length(Config(dict(train_cfg=dict())))
