"""RandomStateHook: a resumed run repeats the uninterrupted one bitwise."""
import glob
import os.path as osp
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from mmcompact.engine import get_random_states, set_random_states

from ..conftest import tiny_runner

NO_HOOK = dict(random_state=None)
KEEP_ALL = dict(checkpoint=dict(max_keep_ckpts=-1))
# The runner trains on the GPU where there is one, and cuDNN's default
# kernels are not bitwise repeatable: two equal runs differ in the last
# bits there, with or without the hook.
bitwise = pytest.mark.skipif(
    torch.cuda.is_available(),
    reason='compares trained weights bitwise: CPU kernels only')


def _draws():
    draws = (random.random(), np.random.rand(3).tolist(),
             torch.rand(3).tolist())
    if torch.cuda.is_available():
        draws += (torch.rand(3, device='cuda').tolist(), )
    return draws


def _weights(work_dir, epoch):
    return torch.load(osp.join(work_dir, f'epoch_{epoch}.pth'),
                      weights_only=True)['state_dict']


def _equal(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _log(work_dir):
    (path, ) = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(path) as f:
        return f.read()


def test_states_round_trip():
    states = get_random_states()
    first = _draws()
    assert _draws() != first
    set_random_states(states)
    assert _draws() == first


def test_states_load_with_plain_weights_only(tmp_path):
    """No allow-listed class is needed: a bare torch loads the states."""
    path = tmp_path / 'states.pth'
    states = get_random_states()
    torch.save({'random_states': [states]}, path)
    code = ('import sys, torch\n'
            f'states = torch.load({str(path)!r}, weights_only=True)\n'
            "assert 'mmcompact' not in sys.modules\n"
            "print(sorted(states['random_states'][0]))\n")
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(sorted(states))
    # 'cuda' too once CUDA is in use.
    assert {'numpy', 'python', 'torch'} <= set(states)


@bitwise
@pytest.mark.parametrize('hooks', [{}, NO_HOOK], ids=['hook', 'no_hook'])
def test_resume_repeats_the_run(tiny_data, tmp_path, hooks):
    full = tiny_runner(tmp_path / 'full', tiny_data, max_epochs=3,
                       hooks=dict(KEEP_ALL, **hooks))
    full.train()
    # Resume from epoch 1, as after a kill in epoch 2.
    resumed = tiny_runner(tmp_path / 'resumed', tiny_data, max_epochs=3,
                          hooks=hooks, resume=True,
                          load_from=osp.join(full.work_dir, 'epoch_1.pth'))
    resumed.train()
    same = _equal(_weights(full.work_dir, 3), _weights(resumed.work_dir, 3))
    # Without the hook the resumed epochs draw other crops, flips and
    # dropout masks (so the run really depends on the generators).
    assert same == (hooks != NO_HOOK)
    if hooks != NO_HOOK:
        assert 'Restored the random states saved at epoch 1' in _log(
            resumed.work_dir)


@bitwise
@pytest.mark.parametrize('hooks', [{}, NO_HOOK], ids=['hook', 'no_hook'])
def test_validation_does_not_move_the_generators(tiny_data, tmp_path, hooks):
    """The resumed run skips the validation before its first epoch, so
    validating after epoch 1 or not must train alike."""
    weights = []
    for interval in (1, 2):
        runner = tiny_runner(tmp_path / str(interval), tiny_data,
                             val_interval=interval, hooks=hooks)
        # Built and trained in turn: building a runner seeds the generators.
        runner.train()
        weights.append(_weights(runner.work_dir, 2))
    # Without the hook, validation draws (the loader's base seed).
    assert _equal(*weights) == (hooks != NO_HOOK)


@bitwise
def test_load_from_restores_nothing(tiny_data, tmp_path):
    """Weights loaded with ``load_from`` start a run: seeded, not restored."""
    first = tiny_runner(tmp_path / 'first', tiny_data, max_epochs=1)
    first.train()
    ckpt = osp.join(first.work_dir, 'epoch_1.pth')
    weights = []
    for name, hooks in (('with', {}), ('without', NO_HOOK)):
        runner = tiny_runner(tmp_path / name, tiny_data, max_epochs=1,
                             hooks=hooks, load_from=ckpt)
        runner.train()
        weights.append(_weights(runner.work_dir, 1))
        assert 'Restored the random states' not in _log(runner.work_dir)
    assert _equal(*weights)


@pytest.mark.parametrize('saved, message', [
    (None, 'holds no random states'),
    (2, 'holds the random states of 2 processes, this run has 1'),
])
def test_resume_without_usable_states_warns(tiny_data, tmp_path, saved,
                                            message):
    first = tiny_runner(tmp_path / 'first', tiny_data, max_epochs=1,
                        val_interval=None)
    first.train()
    path = osp.join(first.work_dir, 'epoch_1.pth')
    ckpt = torch.load(path, weights_only=True)
    if saved is None:  # a checkpoint of a run without the hook
        del ckpt['random_states']
    else:  # a checkpoint of a run on 2 processes
        ckpt['random_states'] *= saved
    torch.save(ckpt, path)
    resumed = tiny_runner(tmp_path / 'resumed', tiny_data,
                          val_interval=None, resume=True, load_from=path)
    resumed.train()
    log = _log(resumed.work_dir)
    assert message in log and 'Restored the random states' not in log
