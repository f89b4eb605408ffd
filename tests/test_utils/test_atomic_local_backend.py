"""atomic_file / atomic_path / AtomicLocalBackend: a failed write keeps the
old file."""
import os
import socket
import subprocess
import sys

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
        assert tmp.endswith(f'.model.onnx.{socket.gethostname()}.'
                            f'{os.getpid()}.tmp.onnx')
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


@pytest.mark.skipif(os.name != 'posix', reason='process probe is POSIX')
def test_temporary_files_of_ended_processes_are_removed(tmp_path):
    ended = subprocess.run([sys.executable, '-c', 'import os; '
                            'print(os.getpid())'], capture_output=True,
                           text=True, check=True).stdout.strip()
    host = socket.gethostname()
    left = {
        'ended': f'.epoch_2.pth.{host}.{ended}.tmp',
        'running': f'.epoch_2.pth.{host}.{os.getppid()}.tmp',
        'other_host': f'.epoch_2.pth.{host}-2.{ended}.tmp',
        'other_file': f'.epoch_3.pth.{host}.{ended}.tmp',
        'other_suffix': f'.epoch_2.pth.{host}.{ended}.tmp.onnx',
    }
    for name in left.values():
        (tmp_path / name).write_bytes(b'half')
    AtomicLocalBackend().put(b'new', tmp_path / 'epoch_2.pth')
    assert sorted(os.listdir(tmp_path)) == sorted(
        ['epoch_2.pth'] + [v for k, v in left.items() if k != 'ended'])
