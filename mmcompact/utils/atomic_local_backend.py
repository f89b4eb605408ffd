"""A local file backend whose writes are all-or-nothing."""
import os
import os.path as osp
from pathlib import Path
from typing import Union

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
    complete new one. Selected with ``backend_args=dict(
    backend='atomic_local')``, as ``AtomicCheckpointHook`` does.
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


def atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to a temporary file beside ``filepath``, then rename.

    Args:
        data (bytes): The file's whole content.
        filepath (str or Path): The final path; its directory is created.
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    mmengine.mkdir_or_exist(folder)
    # Same directory: os.replace is atomic only within one file system.
    tmp = osp.join(folder, f'.{osp.basename(filepath)}.{os.getpid()}.tmp')
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
