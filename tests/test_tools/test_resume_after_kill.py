"""Runs killed by a signal, then ``tools/train.py --resume`` (issue 16).

- Killed mid-epoch (SIGKILL) and resumed, stage 1, the cached stage 2 and
  the online stage 2 end as the uninterrupted run: the same accuracy after
  every epoch and bitwise the same weights (``RandomStateHook``).
- Killed half-way through writing a checkpoint, a run leaves the previous
  checkpoint complete and named by ``last_checkpoint``, and resumes from
  it (``AtomicCheckpointHook``).

The tiny data has 30 training images, 4 iterations an epoch at batch 8.
"""
import glob
import json
import os.path as osp
import signal

import pytest
import torch

from ..conftest import (data_options, run_tool, write_config,
                        write_small_teacher_config)

TEACHER = 'teacher_effnet-lite0-f4-128px_1xb64_cifar10.py'
JOINT = 'configs/joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10.py'
CACHED = 'configs/joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10_cached.py'
COMPACT = 'configs/compact_cifarvgg_1xb512_cifar10.py'
EPOCHS = 3
IMPORT_KILL_HOOKS = (
    "custom_imports = dict(imports=['mmcompact', 'tests.test_tools."
    "kill_hooks'], allow_failed_imports=False)\n")


def _killed_config(folder, config, hook):
    """``config`` plus a hook of :mod:`.kill_hooks` (``hook``)."""
    return write_config(
        osp.join(folder, 'killed.py'),
        f'_base_ = [{config!r}]\n{IMPORT_KILL_HOOKS}'
        f'default_hooks = dict(kill={hook!r})\n')


def _last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read()


def _val_top1(work_dir):
    """``(epoch, top-1)`` of every validation of every run in ``work_dir``."""
    out = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                          'scalars.json'))):
        with open(path) as f:
            out += [(s['step'], s['accuracy/top1'])
                    for s in map(json.loads, f) if 'accuracy/top1' in s]
    return out


def _weights(work_dir):
    return torch.load(osp.join(work_dir, f'epoch_{EPOCHS}.pth'),
                      weights_only=True)['state_dict']


@pytest.fixture(scope='module')
def stage1(tmp_path_factory, tiny_cifar, python, repo_root):
    """The uninterrupted stage-1 run, also stage 2's teacher."""
    tmp = tmp_path_factory.mktemp('resume_after_kill')
    config = write_small_teacher_config(tmp, TEACHER)
    work = str(tmp / 'teacher')
    options = data_options(tiny_cifar) + [f'train_cfg.max_epochs={EPOCHS}']
    run_tool(python, repo_root, 'train.py', config, '--work-dir', work,
             '--amp', cfg_options=options)
    return dict(tmp=tmp, config=config, work=work, options=options)


def _stage(stage, stage1, python, repo_root):
    """Config and options of ``stage``, and its uninterrupted run (None if
    still to be run)."""
    if stage == 'teacher':
        return stage1['config'], stage1['options'], stage1['work']
    options = stage1['options'] + [
        f'model.teacher.cfg_path={stage1["config"]}',
        f'model.teacher_ckpt={stage1["work"]}'
    ]
    if stage == 'online':
        return osp.join(repo_root, JOINT), options, None
    cache = str(stage1['tmp'] / 'cache.npz')
    if not osp.exists(cache):
        run_tool(python, repo_root, 'cache_teacher.py', JOINT, '--views',
                 '2', '--out', cache, '--amp', cfg_options=options)
    return osp.join(repo_root, CACHED), options + [
        f'model.teacher_cache={cache}'
    ], None


@pytest.mark.parametrize('stage', ['teacher', 'cached', 'online'])
def test_killed_run_resumes_exactly(stage, stage1, python, repo_root,
                                    tmp_path):
    config, options, full = _stage(stage, stage1, python, repo_root)
    if full is None:
        full = str(tmp_path / 'full')
        run_tool(python, repo_root, 'train.py', config, '--work-dir', full,
                 '--amp', cfg_options=options)
    work = str(tmp_path / 'killed')
    killed = _killed_config(tmp_path, config,
                            dict(type='SigkillHook', epoch=2, iters=2))
    run_tool(python, repo_root, 'train.py', killed, '--work-dir', work,
             '--amp', cfg_options=options, returncode=-signal.SIGKILL)
    assert _last_checkpoint(work) == osp.join(work, 'epoch_1.pth')
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))

    log = run_tool(python, repo_root, 'train.py', config, '--work-dir', work,
                   '--resume', '--amp', cfg_options=options)
    assert 'Restored the random states saved at epoch 1' in log
    # Epoch 1 from the killed run, epochs 2 and 3 from the resumed one.
    top1 = _val_top1(work)
    assert [epoch for epoch, _ in top1] == [1, 2, 3]
    assert top1 == _val_top1(full)
    resumed, uninterrupted = _weights(work), _weights(full)
    assert resumed.keys() == uninterrupted.keys()
    for key, value in uninterrupted.items():
        assert torch.equal(resumed[key], value), key


def test_kill_while_saving_keeps_the_previous_checkpoint(
        tiny_cifar, python, repo_root, tmp_path):
    config = osp.join(repo_root, COMPACT)
    options = data_options(tiny_cifar) + ['train_cfg.max_epochs=2']
    max_bytes = 256 * 1024
    killed = _killed_config(tmp_path, config, dict(
        type='KillWhileSavingHook', epoch=2, max_bytes=max_bytes))
    work = str(tmp_path / 'work')
    run_tool(python, repo_root, 'train.py', killed, '--work-dir', work,
             cfg_options=options, returncode=-signal.SIGXFSZ)
    # Killed half-way through epoch 2's bytes, in the temporary file.
    (partial, ) = glob.glob(osp.join(work, '.epoch_2.pth.*.tmp'))
    assert osp.getsize(partial) == max_bytes
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    last = _last_checkpoint(work)
    assert last == osp.join(work, 'epoch_1.pth')
    assert osp.getsize(last) > max_bytes
    for path in (last, osp.join(work, 'best_accuracy_top1_epoch_1.pth')):
        assert torch.load(path, weights_only=True)['meta']['epoch'] == 1

    log = run_tool(python, repo_root, 'train.py', config, '--work-dir', work,
                   '--resume', cfg_options=options)
    assert 'resumed epoch: 1' in log
    last = _last_checkpoint(work)
    assert last == osp.join(work, 'epoch_2.pth')
    assert torch.load(last, weights_only=True)['meta']['epoch'] == 2
    # The killed run's temporary file went with the next write of epoch 2.
    assert not osp.exists(partial)
