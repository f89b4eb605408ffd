"""``tools/dist_train.sh`` on CPU: 2 gloo processes against one process,
with the teacher online and from a cache.

Two processes with a per-process batch of 4 must train exactly as one
process with a batch of 8 when nothing depends on how a batch is split:

- ``DefaultSampler(shuffle=False)`` gives rank ``r`` the samples
  ``r, r + 2, ...``, so the two ranks' i-th batches together are the single
  process's i-th batch (30 images: 4 iterations, the last of 6 = 3 + 3);
- the student normalises with GroupNorm (per sample; BatchNorm statistics
  would differ between a batch of 4 and one of 8), the frozen teacher's
  BatchNorms use running statistics, and the views are deterministic (no
  random crop or flip online; the cached stage 2 replays the one stored
  view of each image, its rank's samples' views);
- both losses are batch means, so the mean of the two ranks' losses is the
  loss of the whole batch, and DDP's averaged gradient is its gradient;
- same seed, so the same initial weights (DDP also broadcasts rank 0's).

What differs is the order of floating-point sums (all-reduce), so the
comparison has a tolerance: per-iteration losses (logged with 4 decimals,
one log per rank with ``log_level='DEBUG'``) within 2e-4, final weights
within 1e-4.
"""
import glob
import os.path as osp
import re

import pytest
import torch

from ..conftest import (CPU_PROCESS_ENV, REPO_ROOT, run_command,
                        run_dist_script, run_tool, write_config)
from .conftest import TINY_TEACHER

GLOBAL_BATCH = 8

_CONFIG = """
_base_ = [{runtime!r}]
model = dict(
    type='JointLearningClassifier',
    data_preprocessor=dict(
        type='RandomViewClsDataPreprocessor', size=24, num_classes=10,
        flip_prob=0.0, mean=[125.3, 123.0, 113.9], std=[51.6, 50.8, 51.3],
        view={view!r}),
    backbone=dict(type='CifarVGG', widths=(16, 32, 64), stem_channels=8,
                  norm_cfg=dict(type='GN', num_groups=4)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss'), topk=(1, )),
    teacher={teacher!r},
    teacher_ckpt={teacher_ckpt!r},
    hard_loss_weight=0.5,
    distill_loss=dict(type='SoftTargetLoss', temperature=4.0,
                      loss_weight=0.5))
train_dataloader = dict(
    batch_size={batch_size}, num_workers=0, persistent_workers=False,
    dataset=dict(type='CIFAR10Folder', data_root={root!r}, split='train',
                 pipeline=[dict(type='PackInputs')]),
    sampler=dict(type='DefaultSampler', shuffle=False))
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.0))
train_cfg = dict(by_epoch=True, max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
log_processor = dict(window_size=1)
# Every rank writes its own log (mmengine's MMLogger at DEBUG level).
log_level = 'DEBUG'
"""
# Stage 2 from a cache of one view per image: each rank replays the stored
# views of its own samples (CachedTeacher, by sample index).
_CACHED = """
model.update(teacher_cache={cache!r})
"""


def _losses(log_file):
    """``{iteration: loss}`` from a training log."""
    with open(log_file) as f:
        text = f.read()
    return {
        int(m.group(1)): float(m.group(2))
        for m in re.finditer(r'Epoch\(train\)\s+\[1\]\[\s*(\d+)/\d+\].*?'
                             r'\sloss: ([\d.]+)', text)
    }


@pytest.fixture(scope='module', params=['online', 'cached'])
def runs(request, tmp_path_factory, tiny_cifar, tiny_models, python):
    folder = tmp_path_factory.mktemp(request.param)

    def config(name, batch_size, view=None, extra=''):
        return write_config(
            folder / f'{name}.py',
            _CONFIG.format(
                runtime=osp.join(REPO_ROOT, 'configs', '_base_',
                                 'default_runtime.py'),
                teacher=TINY_TEACHER,
                teacher_ckpt=tiny_models['teacher_ckpt'], root=tiny_cifar,
                batch_size=batch_size, view=view) + extra)

    extra = ''
    if request.param == 'cached':
        view = dict(type='PadCrop', crop_size=32, padding=4)
        cache = str(folder / 'teacher_cache_1v.npz')
        run_tool(python, REPO_ROOT, 'cache_teacher.py',
                 config('online', GLOBAL_BATCH, view), '--views', '1',
                 '--out', cache)
        extra = _CACHED.format(cache=cache)
    out = {}
    for name, nproc in (('single', 1), ('dist', 2)):
        path = config(name, GLOBAL_BATCH // nproc,
                      view if extra else None, extra)
        work_dir = str(folder / name)
        if nproc == 1:
            log = run_command([python, 'tools/train.py', path,
                               '--work-dir', work_dir], REPO_ROOT,
                              CPU_PROCESS_ENV)
        else:
            log = run_dist_script(python, REPO_ROOT, 'dist_train.sh', path,
                                  str(nproc), '--work-dir', work_dir)
        out[name] = dict(work_dir=work_dir, log=log)
    return out


def _rank_logs(work_dir):
    return sorted(glob.glob(osp.join(work_dir, '*', '*rank*.log')))


def test_two_processes_use_gloo_and_split_the_data(runs):
    logs = _rank_logs(runs['dist']['work_dir'])
    assert [re.search(r'rank(\d)\.log$', p).group(1) for p in logs] == \
        ['0', '1']
    with open(logs[0]) as f:
        text = f.read()
    # The config dump: gloo chosen in place of mmpretrain's NCCL default.
    assert "dist_cfg=dict(backend='gloo')" in text
    assert 'Distributed training: True' in text
    assert 'GPU number: 2' in text  # mmengine's name for the world size
    # 30 images, 15 per rank, 4 per batch: 4 iterations (single: 8 each).
    assert sorted(_losses(logs[0])) == [1, 2, 3, 4]


def test_loss_curve_matches_one_process(runs):
    single = glob.glob(osp.join(runs['single']['work_dir'], '*', '*.log'))
    assert len(single) == 1
    expected = _losses(single[0])
    assert sorted(expected) == [1, 2, 3, 4]
    ranks = [_losses(p) for p in _rank_logs(runs['dist']['work_dir'])]
    for it, loss in expected.items():
        mean = sum(r[it] for r in ranks) / len(ranks)
        assert mean == pytest.approx(loss, abs=2e-4), (it, ranks, expected)
    # The halves differ (the comparison is not trivially rank 0 vs all).
    assert any(abs(ranks[0][i] - ranks[1][i]) > 1e-3 for i in expected)


def test_trained_weights_match_one_process(runs):
    states = [
        torch.load(osp.join(runs[name]['work_dir'], 'epoch_1.pth'),
                   weights_only=True)['state_dict']
        for name in ('single', 'dist')
    ]
    assert states[0].keys() == states[1].keys()
    for key in states[0]:
        torch.testing.assert_close(states[1][key], states[0][key],
                                   atol=1e-4, rtol=0, msg=key)
    with open(osp.join(runs['single']['work_dir'], 'last_checkpoint')) as f:
        assert f.read().endswith('epoch_1.pth')
