"""AtomicCheckpointHook: a failed save keeps the previous checkpoint."""
import glob
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmcompact  # noqa: F401
from mmcompact.engine import AtomicCheckpointHook
from mmcompact.utils import AtomicLocalBackend

from ..conftest import REPO_ROOT, make_class_folders

CLASSES = ('a', 'b', 'c', 'd')


def _runner(tmp_path, max_epochs=2):
    root = str(tmp_path / 'data')
    make_class_folders(root, CLASSES, per_class=2)
    return Runner(
        model=dict(
            type='ImageClassifier',
            backbone=dict(type='CifarResNet', depth=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=4, in_channels=64)),
        work_dir=str(tmp_path / 'work'),
        train_dataloader=dict(
            batch_size=4, num_workers=0,
            dataset=dict(type='InMemoryCustomDataset', data_root=root,
                         num_classes=len(CLASSES),
                         pipeline=[dict(type='PackInputs')]),
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_scope='mmpretrain',
        default_hooks=dict(checkpoint=dict(
            type='AtomicCheckpointHook', interval=1, max_keep_ckpts=1)))


def _last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read()


def test_default_runtime_uses_it():
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.default_hooks.checkpoint.type == 'AtomicCheckpointHook'


def test_keeps_the_newest_checkpoint(tmp_path):
    runner = _runner(tmp_path)
    runner.train()
    work = runner.work_dir
    hook = [h for h in runner.hooks if isinstance(h, AtomicCheckpointHook)]
    assert len(hook) == 1
    assert isinstance(hook[0].file_backend, AtomicLocalBackend)
    # max_keep_ckpts=1: epoch 1 deleted once epoch 2 is complete.
    assert [f for f in os.listdir(work) if f.endswith(('.pth', '.tmp'))] \
        == ['epoch_2.pth']
    assert _last_checkpoint(work) == osp.join(work, 'epoch_2.pth')
    ckpt = torch.load(osp.join(work, 'epoch_2.pth'), weights_only=True)
    assert ckpt['meta']['epoch'] == 2


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    real_save = torch.save
    calls = []

    def save_then_fail(obj, f, *args, **kwargs):
        # The second save (epoch 2) writes half its bytes, then the disk
        # "fills up".
        calls.append(1)
        if len(calls) == 1:
            return real_save(obj, f, *args, **kwargs)
        real_save(obj, f, *args, **kwargs)
        f.truncate(len(f.getvalue()) // 2)
        raise OSError('No space left on device')

    monkeypatch.setattr(torch, 'save', save_then_fail)
    runner = _runner(tmp_path)
    with pytest.raises(OSError, match='No space left'):
        runner.train()
    assert len(calls) == 2
    work = runner.work_dir
    # mmengine's CheckpointHook would have deleted epoch_1.pth before this
    # save, leaving last_checkpoint pointing at nothing.
    assert _last_checkpoint(work) == osp.join(work, 'epoch_1.pth')
    ckpt = torch.load(osp.join(work, 'epoch_1.pth'), weights_only=True)
    assert ckpt['meta']['epoch'] == 1
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    assert glob.glob(osp.join(work, '.*.tmp')) == []


def test_backend_write_interrupted_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    path.write_bytes(b'old complete file')

    def fail(fd):
        raise OSError('killed while writing')

    # The new bytes are in the temporary file, not yet renamed.
    monkeypatch.setattr(os, 'fsync', fail)
    with pytest.raises(OSError, match='killed while writing'):
        AtomicLocalBackend().put(b'new half', path)
    assert path.read_bytes() == b'old complete file'
    assert os.listdir(tmp_path) == ['epoch_1.pth']
    monkeypatch.undo()
    AtomicLocalBackend().put_text('new', tmp_path / 'sub' / 'last')
    assert (tmp_path / 'sub' / 'last').read_text() == 'new'
