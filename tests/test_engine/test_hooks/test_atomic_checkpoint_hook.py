"""AtomicCheckpointHook: a failed save keeps the previous checkpoint."""
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import mmcompact  # noqa: F401
from mmcompact.engine import AtomicCheckpointHook
from mmcompact.utils import AtomicLocalBackend

from ...conftest import REPO_ROOT
from ..conftest import tiny_runner


def _last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read()


def _fail_save(monkeypatch, number):
    """Make the ``number``-th ``torch.save`` write half its bytes, then fail
    as a full disk does; returns the list of calls made."""
    real_save = torch.save
    calls = []

    def save(obj, f, *args, **kwargs):
        calls.append(1)
        real_save(obj, f, *args, **kwargs)
        if len(calls) == number:
            f.truncate(len(f.getvalue()) // 2)
            raise OSError('No space left on device')

    monkeypatch.setattr(torch, 'save', save)
    return calls


def _checkpoints(work_dir):
    return sorted(f for f in os.listdir(work_dir)
                  if f.endswith(('.pth', '.tmp')))


def test_default_runtime_uses_it():
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.default_hooks.checkpoint.type == 'AtomicCheckpointHook'


def test_keeps_the_newest_checkpoint(tiny_data, tmp_path):
    runner = tiny_runner(tmp_path, tiny_data, val_interval=None)
    runner.train()
    work = runner.work_dir
    hook = [h for h in runner.hooks if isinstance(h, AtomicCheckpointHook)]
    assert len(hook) == 1
    assert isinstance(hook[0].file_backend, AtomicLocalBackend)
    # max_keep_ckpts=1: epoch 1 deleted once epoch 2 is complete.
    assert _checkpoints(work) == ['epoch_2.pth']
    assert _last_checkpoint(work) == osp.join(work, 'epoch_2.pth')
    ckpt = torch.load(osp.join(work, 'epoch_2.pth'), weights_only=True)
    assert ckpt['meta']['epoch'] == 2


def test_failed_save_keeps_the_previous_checkpoint(tiny_data, tmp_path,
                                                   monkeypatch):
    # The second save (epoch 2) fails half-way.
    calls = _fail_save(monkeypatch, 2)
    runner = tiny_runner(tmp_path, tiny_data, val_interval=None)
    with pytest.raises(OSError, match='No space left'):
        runner.train()
    assert len(calls) == 2
    work = runner.work_dir
    # mmengine's CheckpointHook would have deleted epoch_1.pth before this
    # save, leaving last_checkpoint pointing at nothing.
    assert _last_checkpoint(work) == osp.join(work, 'epoch_1.pth')
    ckpt = torch.load(osp.join(work, 'epoch_1.pth'), weights_only=True)
    assert ckpt['meta']['epoch'] == 1
    assert _checkpoints(work) == ['epoch_1.pth']


def test_best_checkpoint_is_replaced(tiny_data, tmp_path):
    runner = tiny_runner(tmp_path, tiny_data, hooks=dict(
        checkpoint=dict(save_best='score', rule='greater')))
    runner.train()
    work = runner.work_dir
    # RisingScore beats the previous validation every epoch.
    assert _checkpoints(work) == ['best_score_epoch_2.pth', 'epoch_2.pth']
    assert runner.message_hub.get_info('best_ckpt') == osp.join(
        work, 'best_score_epoch_2.pth')
    assert _last_checkpoint(work) == osp.join(work, 'epoch_2.pth')


@pytest.mark.parametrize('hook, kept', [('AtomicCheckpointHook', True),
                                        ('CheckpointHook', False)])
def test_failed_best_save_keeps_the_previous_best(tiny_data, tmp_path,
                                                  monkeypatch, hook, kept):
    # Saves per epoch: the epoch's checkpoint, the best one, the epoch's
    # again (with the new best score). The 5th is epoch 2's best.
    calls = _fail_save(monkeypatch, 5)
    runner = tiny_runner(tmp_path, tiny_data, hooks=dict(
        checkpoint=dict(type=hook, save_best='score', rule='greater')))
    with pytest.raises(OSError, match='No space left'):
        runner.train()
    assert len(calls) == 5
    work = runner.work_dir
    # mmengine's hook deleted the previous best before the failed save.
    assert osp.isfile(osp.join(work, 'best_score_epoch_1.pth')) == kept
    if kept:
        assert _checkpoints(work) == ['best_score_epoch_1.pth',
                                      'epoch_2.pth']
        best = torch.load(osp.join(work, 'best_score_epoch_1.pth'),
                          weights_only=True)
        assert best['meta']['epoch'] == 1
        assert _last_checkpoint(work) == osp.join(work, 'epoch_2.pth')
        ckpt = torch.load(osp.join(work, 'epoch_2.pth'), weights_only=True)
        assert ckpt['meta']['epoch'] == 2
