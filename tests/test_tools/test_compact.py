"""tools/compact.py: every stage of a joint config in one command.

The planning (which config, work dir, cache path and options each stage
gets) is checked on the repository's configs without training; one run on
tiny generated data trains every stage for one epoch, and a second run of
the same command skips them all.
"""
import glob
import importlib.util
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from ..conftest import REPO_ROOT, data_options, run_tool, write_config

JOINT = 'configs/joint_effnet-lite0-f4_cifarvgg_1xb64_uci_digits_cached.py'
TEACHER = 'teacher_effnet-lite0-f4-48px_1xb64_uci_digits'
COMPACT = 'compact_cifarvgg-16px_1xb64_uci_digits'
ONLINE = 'configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes.py'


def _load_compact():
    spec = importlib.util.spec_from_file_location(
        'mmcompact_tools_compact', osp.join(REPO_ROOT, 'tools', 'compact.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compact = _load_compact()


def _plan(*argv):
    return compact.CompactRun(compact.parse_args([*argv]))


@pytest.fixture
def in_repo(monkeypatch):
    """Relative config paths (and default work dirs) as from the repo."""
    monkeypatch.chdir(REPO_ROOT)


@pytest.mark.parametrize('name', sorted(
    osp.basename(p)
    for p in glob.glob(osp.join(REPO_ROOT, 'configs', 'joint_*.py'))))
def test_student_config_is_the_inherited_compact_config(name):
    path = compact.student_config(osp.join(REPO_ROOT, 'configs', name))
    assert osp.basename(path).startswith('compact_')
    joint, student = Config.fromfile(osp.join(REPO_ROOT, 'configs',
                                              name)), Config.fromfile(path)
    for key in ('backbone', 'neck', 'head'):
        assert joint.model[key] == student.model[key]


def test_student_config_missing(tmp_path):
    path = write_config(tmp_path / 'joint_x.py', 'model = dict()\n')
    with pytest.raises(ValueError, match='no configs/compact_'):
        compact.student_config(path)


def test_has_key():
    cfg = Config(dict(a=dict(b=[dict(c=1)]), d=None))
    assert compact.has_key(cfg, 'a.b.0.c') and compact.has_key(cfg, 'd')
    assert not compact.has_key(cfg, 'a.b.1.c')
    assert not compact.has_key(cfg, 'a.x')
    assert not compact.has_key(cfg, 'a.b.0.c.e')


def test_plan_derives_the_cache_path_once(in_repo, tmp_path):
    run = _plan(JOINT, '--work-dir', str(tmp_path), '--baseline')
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
    run = _plan(JOINT)
    assert run.teacher.work_dir == osp.join('work_dirs', TEACHER)
    # The config's own cache path: what the step-by-step commands use.
    assert run.cache.output == Config.fromfile(JOINT).model.teacher_cache
    assert run.joint.work_dir == osp.join('work_dirs', osp.basename(
        JOINT)[:-3])
    assert run.baseline is None
    assert _plan(ONLINE).cache is None


def test_options_reach_the_stages_that_have_the_key(in_repo):
    run = _plan(JOINT, '--baseline', '--cfg-options',
                'train_cfg.max_epochs=2', 'model.hard_loss_weight=0.25',
                'train_dataloader.batch_size=16')
    for stage in (run.teacher, run.joint, run.baseline):
        assert stage.cfg.train_cfg.max_epochs == 2
        assert stage.cfg.train_dataloader.batch_size == 16
    assert run.joint.cfg.model.hard_loss_weight == 0.25
    assert 'hard_loss_weight' not in run.teacher.cfg.model
    assert 'hard_loss_weight' not in run.baseline.cfg.model


def test_plan_refuses_bad_configs(in_repo, tmp_path):
    with pytest.raises(ValueError, match='dict\\(cfg_path='):
        _plan(f'configs/{COMPACT}.py')
    joint = osp.join(REPO_ROOT, JOINT)
    bad_name = write_config(
        tmp_path / 'joint_a.py', f'_base_ = [{joint!r}]\n'
        "model = dict(teacher_cache='work_dirs/t/cache.npz')\n")
    with pytest.raises(ValueError, match='teacher_cache_<views>v.npz'):
        _plan(bad_name)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        _plan(JOINT, '--cfg-options',
              f'model.teacher_ckpt={tmp_path}/missing.pth')


def test_stage_progress(tmp_path):
    cfg = Config(dict(train_cfg=dict(by_epoch=True, max_epochs=3)))
    assert compact.stage_progress(str(tmp_path), cfg) == (None, 0)
    ckpt = str(tmp_path / 'epoch_2.pth')
    torch.save({'meta': {'epoch': 2, 'iter': 8}}, ckpt)
    (tmp_path / 'last_checkpoint').write_text(ckpt)
    assert compact.stage_progress(str(tmp_path), cfg) == (ckpt, 2)
    assert compact.stage_progress(str(tmp_path), Config(
        dict(train_cfg=dict(max_iters=10)))) == (ckpt, 8)
    os.remove(ckpt)
    with pytest.raises(FileNotFoundError, match='last_checkpoint'):
        compact.stage_progress(str(tmp_path), cfg)
    with pytest.raises(ValueError, match='max_epochs nor max_iters'):
        compact.schedule_length(Config(dict(train_cfg=dict())))


def test_val_metrics_follow_resumed_runs(tmp_path):
    for run, lines in (('20260101_000000', [
            {'teacher/accuracy/top1': 70.0, 'step': 0},
            {'loss': 1.0, 'step': 5}, {'accuracy/top1': 50.0, 'step': 1}]),
                       ('20260101_010000', [
                           {'accuracy/top1': 60.0, 'step': 2},
                           {'accuracy/top1': 55.0, 'step': 3}])):
        folder = tmp_path / run / 'vis_data'
        folder.mkdir(parents=True)
        (folder / 'scalars.json').write_text(
            '\n'.join(json.dumps(line) for line in lines) + '\n')
    values, teacher = compact.val_metrics(str(tmp_path))
    assert values == [(1, 50.0), (2, 60.0), (3, 55.0)]
    assert teacher == [(0, 70.0)]


SMALL_TEACHER = """_base_ = [{base!r}]
# A small stage-1 network for the tests (the demo teacher's data).
model = dict(
    _delete_=True,
    type='ImageClassifier',
    data_preprocessor=dict(type='RandomViewClsDataPreprocessor', size=24,
                           mean=[127.0] * 3, std=[128.0] * 3),
    backbone=dict(type='CifarResNet', depth=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
"""


def test_all_stages_then_all_skipped(tiny_cifar, python, repo_root, tmp_path,
                                     capsys, monkeypatch):
    teacher_cfg = write_config(
        tmp_path / 'small_teacher.py', SMALL_TEACHER.format(
            base=osp.join(repo_root, 'configs', f'{TEACHER}.py')))
    work = tmp_path / 'work'
    argv = [JOINT, '--work-dir', str(work), '--baseline', '--no-report']
    options = [f'model.teacher.cfg_path={teacher_cfg}',
               'train_cfg.max_epochs=1'] + data_options(tiny_cifar)
    out = run_tool(python, repo_root, 'compact.py', *argv,
                   cfg_options=options)
    for stage in ('teacher', 'cache', 'joint', 'baseline'):
        assert f'] {stage}: ' in out
    assert 'loss_soft:' in out  # stage 2's log
    summary = out[out.index('==> Summary'):]
    for stage, action in (('teacher', 'trained'), ('cache', 'built'),
                          ('joint', 'trained'), ('baseline', 'trained')):
        assert [line for line in summary.splitlines()
                if line.startswith(stage) and action in line], stage
    teacher_dir, joint_dir = work / 'small_teacher', work / osp.basename(
        JOINT)[:-3]
    assert (teacher_dir / 'epoch_1.pth').is_file()
    assert (teacher_dir / 'teacher_cache_4v.npz').is_file()
    assert (work / COMPACT / 'epoch_1.pth').is_file()
    state = torch.load(joint_dir / 'epoch_1.pth', weights_only=True)
    assert not any(k.startswith('teacher') for k in state['state_dict'])
    values, teacher = compact.val_metrics(str(joint_dir))
    assert len(values) == 1 and len(teacher) == 1
    assert f'{values[-1][1]:.2f}' in summary

    # The same command again: every output is there and complete.
    monkeypatch.chdir(repo_root)
    capsys.readouterr()
    compact.main([*argv, '--cfg-options', *options])
    summary = capsys.readouterr().out
    summary = summary[summary.index('==> Summary'):]
    for stage in ('teacher', 'cache', 'joint', 'baseline'):
        assert [line for line in summary.splitlines()
                if line.startswith(stage) and 'done before' in line], stage
    assert not (teacher_dir / 'epoch_2.pth').exists()


def test_readme_demo_shortened(python, repo_root, tmp_path):
    """README's demo command on the shipped digits, one epoch per stage."""
    out = run_tool(python, repo_root, 'compact.py', JOINT, '--amp',
                   '--work-dir', str(tmp_path), '--no-report',
                   cfg_options=['train_cfg.max_epochs=1'])
    summary = out[out.index('==> Summary'):]
    for stage, action in (('teacher', 'trained'), ('cache', 'built'),
                          ('joint', 'trained')):
        assert [line for line in summary.splitlines()
                if line.startswith(stage) and action in line], stage
    # The real ImageNet teacher learns the digits in one epoch.
    values, teacher = compact.val_metrics(str(tmp_path / TEACHER))
    assert len(values) == 1 and values[0][1] > 50
    # Its reference: the probe its LinearProbeHook fitted (the digits keep
    # the random head, docs/small_data.md), in the summary.
    probe = json.loads((tmp_path / TEACHER / 'linear_probe.json').read_text())
    assert probe['num_train'] == 1201 and probe['init_head'] is False
    assert ('linear probe of the teacher\'s frozen ImageNet features (the '
            f'reference fine-tuning must beat): accuracy/top1 '
            f'{probe["accuracy"]:.2f}') in summary
    assert (tmp_path / osp.basename(JOINT)[:-3] / 'epoch_1.pth').is_file()
