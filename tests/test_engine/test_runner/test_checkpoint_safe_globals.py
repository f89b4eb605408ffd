import subprocess
import sys

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmcompact  # noqa: F401  (registers the allow-list on import)
from mmcompact.engine import CHECKPOINT_SAFE_GLOBALS


def _save_resume_like_checkpoint(path):
    hub = MessageHub('safe_globals_test')
    for i in range(3):
        hub.update_scalar('train/loss', float(i) + 0.5)
    hub.update_info('epoch', np.int64(2))
    torch.save({'state_dict': {'w': torch.ones(2)},
                'message_hub': hub.state_dict(),
                'meta': {'seed': np.int64(0)}}, path)


def test_weights_only_load_of_message_hub(tmp_path):
    path = tmp_path / 'ckpt.pth'
    _save_resume_like_checkpoint(path)
    assert HistoryBuffer in CHECKPOINT_SAFE_GLOBALS
    ckpt = torch.load(path, weights_only=True)  # the torch >= 2.6 default
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == 1.5


def test_without_the_allow_list_the_load_fails(tmp_path):
    """Guards the premise: plain torch refuses these checkpoints."""
    path = tmp_path / 'ckpt.pth'
    _save_resume_like_checkpoint(path)
    code = ('import torch, sys\n'
            'try:\n'
            f'    torch.load({str(path)!r}, weights_only=True)\n'
            'except Exception as e:\n'
            '    sys.exit("refused: " + type(e).__name__)\n')
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and 'refused' in proc.stderr


def test_getattr_is_restricted(tmp_path):
    """Only HistoryBuffer's statistics methods, not arbitrary attributes."""
    import pickle

    class Evil:

        def __reduce__(self):
            return getattr, (np.ndarray, 'dumps')

    path = tmp_path / 'evil.pth'
    torch.save({'x': Evil()}, path)
    try:
        torch.load(path, weights_only=True)
    except pickle.UnpicklingError as e:
        assert 'only HistoryBuffer statistics methods' in str(e)
    else:
        raise AssertionError('getattr on numpy.ndarray was allowed')
