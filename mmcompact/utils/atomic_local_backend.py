"""A local file backend whose writes are all-or-nothing."""
import contextlib
import os
import os.path as osp
import socket
from pathlib import Path
from typing import BinaryIO, Iterator, Union

import mmengine
from mmengine.fileio import LocalBackend, register_backend


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` writing to a temporary file, then renaming.

    mmengine writes checkpoints through ``backend.put``, which opens the
    final path and writes into it: a process killed (or a disk filling up)
    while it writes leaves a truncated checkpoint under the real name. Here
    the bytes go to a hidden file in the same directory, are flushed to
    disk, and ``os.replace`` (atomic on POSIX and Windows within one file
    system) gives it the real name, so a reader sees the old file or the
    complete new one (:func:`atomic_file`). Selected with
    ``backend_args=dict(backend='atomic_local')``, as
    ``AtomicCheckpointHook`` does.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically (directory created).

        Args:
            obj (bytes): Data to be written.
            filepath (str or Path): Path to write data.
        """
        atomic_write(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically (directory created).

        Args:
            obj (str): Data to be written.
            filepath (str or Path): Path to write data.
            encoding (str): The encoding format. Defaults to 'utf-8'.
        """
        atomic_write(obj.encode(encoding), filepath)


@contextlib.contextmanager
def atomic_file(filepath: Union[str, Path]) -> Iterator[BinaryIO]:
    """A binary file to write that replaces ``filepath`` only when complete.

    The bytes go to a hidden temporary file in the same directory; when the
    ``with`` block ends without an error they are flushed to disk and
    ``os.replace`` (atomic within one file system) gives the file its real
    name. A reader sees the old file or the complete new one. An error in
    the block removes the temporary file and propagates; a killed process
    leaves it behind (read by nothing), and the next write of the same
    file on the same machine removes it (:func:`atomic_path`).

    Args:
        filepath (str or Path): The final path; its directory is created.

    Yields:
        BinaryIO: The open temporary file.
    """
    with atomic_path(filepath) as tmp:
        with open(tmp, 'wb') as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


@contextlib.contextmanager
def atomic_path(filepath: Union[str, Path],
                suffix: str = '') -> Iterator[str]:
    """A temporary path that replaces ``filepath`` only when complete.

    :func:`atomic_file` for writers that take a path rather than a file
    object (ONNX exporters and quantisers): whatever the block writes to
    the yielded path is renamed to ``filepath`` (``os.replace``, atomic
    within one file system) when the block ends without an error; an error
    removes it and propagates.

    Temporary files of the same name left by processes of this machine
    that no longer run (killed while writing) are removed first, so a
    checkpoint or cache that a killed run was writing does not stay on
    disk; those of running processes and of other machines (a shared file
    system) are kept.

    Args:
        filepath (str or Path): The final path; its directory is created.
        suffix (str): Ending of the temporary name, for writers that go by
            the extension (e.g. ``'.onnx'``). Defaults to ``''``.

    Yields:
        str: The temporary path, ``.<name>.<host>.<pid>.tmp<suffix>`` next
        to ``filepath``.
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    mmengine.mkdir_or_exist(folder)
    prefix = f'.{osp.basename(filepath)}.{socket.gethostname()}.'
    _remove_stale(folder, prefix, f'.tmp{suffix}')
    # Same directory: os.replace is atomic only within one file system.
    tmp = osp.join(folder, f'{prefix}{os.getpid()}.tmp{suffix}')
    try:
        yield tmp
        os.replace(tmp, filepath)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _remove_stale(folder: str, prefix: str, ending: str) -> None:
    """Remove ``<prefix><pid><ending>`` files in ``folder`` whose process
    has ended."""
    # os.kill(pid, 0) probes a process on POSIX only (on Windows it would
    # terminate it): elsewhere the files stay.
    if os.name != 'posix':
        return
    for name in os.listdir(folder):
        pid = name[len(prefix):-len(ending)]
        if name.startswith(prefix) and name.endswith(ending) and \
                pid.isdigit() and not _running(int(pid)):
            os.remove(osp.join(folder, name))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` through :func:`atomic_file`.

    Args:
        data (bytes): The file's whole content.
        filepath (str or Path): The final path; its directory is created.
    """
    with atomic_file(filepath) as f:
        f.write(data)
