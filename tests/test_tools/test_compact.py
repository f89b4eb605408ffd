"""tools/compact.py: every stage of a joint config in one command.

One run on tiny generated data trains every stage for one epoch, with a
console a person can read (the logs in the work dirs), and a second run of
the same command skips them all. The planning is checked in
``tests/test_apis/test_compact_plan.py``.
"""
import glob
import json
import os.path as osp

import torch

from mmcompact.apis import val_metrics
from ..conftest import data_options, run_tool, write_config
from .conftest import load_script

JOINT = 'configs/joint_effnet-lite0-f4_cifarvgg_1xb64_uci_digits_cached.py'
TEACHER = 'teacher_effnet-lite0-f4-48px_1xb64_uci_digits'
COMPACT = 'compact_cifarvgg-16px_1xb64_uci_digits'

compact = load_script('tools/compact.py')


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
    # A person's console: headers, a top-1 line per validation, the
    # summary; no environment or config dump, no per-iteration log.
    assert len(out.splitlines()) <= 80, out
    assert 'loss_soft' not in out and 'environment' not in out
    assert out.count('epoch 1/1  top-1 ') == 3, out
    teacher_dir, joint_dir = work / 'small_teacher', work / osp.basename(
        JOINT)[:-3]
    # The full logs are in the work dirs.
    log, = glob.glob(str(joint_dir / '*' / '*.log'))
    with open(log, encoding='utf-8') as f:
        assert 'loss_soft:' in f.read()
    assert (teacher_dir / 'teacher_cache_4v.log').is_file()
    summary = out[out.index('==> Summary'):]
    for stage, action in (('teacher', 'trained'), ('cache', 'built'),
                          ('joint', 'trained'), ('baseline', 'trained')):
        assert [line for line in summary.splitlines()
                if line.startswith(stage) and action in line], stage
    assert (teacher_dir / 'epoch_1.pth').is_file()
    assert (teacher_dir / 'teacher_cache_4v.npz').is_file()
    assert (work / COMPACT / 'epoch_1.pth').is_file()
    state = torch.load(joint_dir / 'epoch_1.pth', weights_only=True)
    assert not any(k.startswith('teacher') for k in state['state_dict'])
    values, teacher = val_metrics(str(joint_dir))
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
    values, teacher = val_metrics(str(tmp_path / TEACHER))
    assert len(values) == 1 and values[0][1] > 50
    # Its reference: the probe its LinearProbeHook fitted (the digits keep
    # the random head, docs/small_data.md), in the summary.
    probe = json.loads((tmp_path / TEACHER / 'linear_probe.json').read_text())
    assert probe['num_train'] == 1201 and probe['init_head'] is False
    assert ('linear probe of the teacher\'s frozen ImageNet features (the '
            f'reference fine-tuning must beat): accuracy/top1 '
            f'{probe["accuracy"]:.2f}') in summary
    assert (tmp_path / osp.basename(JOINT)[:-3] / 'epoch_1.pth').is_file()
