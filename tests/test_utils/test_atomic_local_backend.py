"""atomic_file / atomic_path / AtomicLocalBackend: a failed write keeps the
old file."""
import os

import numpy as np
import pytest

from mmcompact.utils import AtomicLocalBackend, atomic_file, atomic_path


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


def test_error_while_writing_keeps_old_file(tmp_path):
    path = tmp_path / 'cache.npz'
    np.savez(path, x=np.zeros(3))
    old = path.read_bytes()
    with pytest.raises(RuntimeError, match='teacher failed'):
        with atomic_file(path) as f:
            f.write(b'half an archive')
            raise RuntimeError('teacher failed')
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ['cache.npz']
    # A writer that wants a file object (np.savez) gets one.
    with atomic_file(path) as f:
        np.savez(f, x=np.ones(3))
    assert np.load(path)['x'].tolist() == [1.0, 1.0, 1.0]
    assert os.listdir(tmp_path) == ['cache.npz']


def test_atomic_path_renames_only_a_complete_write(tmp_path):
    path = tmp_path / 'out' / 'model.onnx'
    with atomic_path(path, suffix='.onnx') as tmp:
        assert tmp.endswith(f'.model.onnx.{os.getpid()}.tmp.onnx')
        assert os.path.dirname(tmp) == str(path.parent)  # created
        with open(tmp, 'wb') as f:
            f.write(b'first')
        assert not path.exists()
    assert path.read_bytes() == b'first'
    with pytest.raises(RuntimeError, match='verification failed'):
        with atomic_path(path, suffix='.onnx') as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'second')
            raise RuntimeError('verification failed')
    assert path.read_bytes() == b'first'
    assert os.listdir(path.parent) == ['model.onnx']
