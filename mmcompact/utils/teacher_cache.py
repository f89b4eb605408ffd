"""Teacher predictions stored per augmented view (FKD-style).

Stage 2 need not run the frozen teacher at every step: the teacher is run
once over ``num_views`` stored views of every training image, and joint
training replays those views (:class:`ReplayTeacherView`) with the stored
logits. A view is a box of the stored image plus a flip (FKD's
region + flip), whatever the augmentation: CIFAR's pad-and-crop and the
random-resized crops of scene photos are both boxes
(``RandomViewClsDataPreprocessor``), so the teacher sees the box at its own
input size and the student replays it at its own. The cache is keyed by a
fingerprint of the teacher (weights and input normalisation/size), of the
data set (image paths and labels) and by the view settings, so a cache of
another teacher, data set, split or augmentation is refused.

Cost: ``num_views * (2 * num_classes + 10)`` bytes per image (fp16 logits
and the int16 view) plus its relative path (fixed-width unicode, 4 B a
character).
"""
import ast
import hashlib
import os
import os.path as osp
from typing import Sequence

import numpy as np

# 2: views are boxes (top, left, height, width, flip), int16.
CACHE_VERSION = 2


def dataset_fingerprint(rel_paths: Sequence[str],
                        labels: Sequence[int]) -> str:
    """SHA-256 of the ordered (relative path, label) list of a data set."""
    digest = hashlib.sha256()
    for path, label in zip(rel_paths, labels):
        digest.update(f'{path}\t{int(label)}\n'.encode())
    return digest.hexdigest()


def save_teacher_cache(path: str, logits: np.ndarray, views: np.ndarray,
                       rel_paths: Sequence[str], meta: dict) -> None:
    """Write the cache atomically (a temporary file, then a rename)."""
    tmp = f'{path}.tmp.npz'
    np.savez(
        tmp,
        logits=logits.astype(np.float16),
        views=views.astype(np.int16),
        rel_paths=np.asarray(rel_paths),
        meta=np.asarray(repr(dict(meta, version=CACHE_VERSION))))
    os.replace(tmp, path)


def _open_cache(path: str):
    """Open a cache ``.npz`` (members load lazily), or say how to build it."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Teacher cache "{path}" not found. Build it with: python '
            'tools/cache_teacher.py <joint config> --out ' + path)
    return np.load(path, allow_pickle=False)


def _checked_meta(data, path: str) -> dict:
    """The ``meta`` entry of an open cache, refused if another version."""
    meta = ast.literal_eval(str(data['meta']))
    if meta.get('version') != CACHE_VERSION:
        raise ValueError(f'Teacher cache "{path}" has version '
                         f'{meta.get("version")}, expected '
                         f'{CACHE_VERSION}; rebuild it.')
    return meta


def load_teacher_cache_meta(path: str) -> dict:
    """Read only the ``meta`` entry of a cache (``.npz`` members load lazily).

    Args:
        path (str): ``.npz`` written by :func:`save_teacher_cache`.

    Returns:
        dict: The meta data (fingerprints, checkpoint, view settings,
        version).

    Raises:
        FileNotFoundError: if ``path`` does not exist (with the command that
            builds it).
        ValueError: if the cache was written by another cache version.
    """
    with _open_cache(path) as data:
        return _checked_meta(data, path)


def load_teacher_cache(path: str) -> dict:
    """Read a cache written by :func:`save_teacher_cache`.

    Args:
        path (str): ``.npz`` written by :func:`save_teacher_cache`.

    Returns:
        dict: ``logits`` ``(N, V, C)``, ``views`` ``(N, V, 5)``,
        ``rel_paths`` ``(N,)`` and ``meta``.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if the cache was written by another cache version
            (checked before the arrays are read).
    """
    with _open_cache(path) as data:
        meta = _checked_meta(data, path)
        cache = {k: data[k] for k in ('logits', 'views', 'rel_paths')}
    cache['meta'] = meta
    return cache
