"""Teacher predictions stored per augmented view (FKD-style).

Stage 2 need not run the frozen teacher at every step: the teacher is run
once over ``num_views`` stored views of every training image, and joint
training replays those views with the stored logits (the student's
``RandomViewClsDataPreprocessor`` cuts them out of the batch and reads the
logits through ``mmcompact.models.CachedTeacher``). A view is a box of the
stored image plus a flip (FKD's region + flip), whatever the
augmentation: CIFAR's pad-and-crop and the random-resized crops of scene
photos are both boxes (``RandomViewClsDataPreprocessor``), so the teacher
sees the box at its own input size and the student replays it at its
own. The cache is keyed by a fingerprint of the teacher (weights and input
normalisation/size), of the data set (image paths and labels) and by the
view settings, so a cache of another teacher, data set, split or
augmentation is refused.

Cost: ``num_views * (2 * num_classes + 10)`` bytes per image (fp16 logits
and the int16 view) plus its relative path (fixed-width unicode, 4 B a
character).

A cache that is cut short, damaged, inconsistent or changed after it was
written (its arrays no longer match the SHA-256 stored in its meta) is
refused when it is loaded, before training starts.
"""
import ast
import hashlib
import os.path as osp
from typing import List, Sequence

import numpy as np

from .atomic_local_backend import atomic_file

# 2: views are boxes (top, left, height, width, flip), int16.
CACHE_VERSION = 2
_ARRAYS = ('logits', 'views', 'rel_paths')
_BUILD = 'python tools/cache_teacher.py <joint config> --out '


def dataset_rel_paths(infos: Sequence[dict], root: str) -> List[str]:
    """The image paths a cache stores: relative to ``root``, ``/``-separated.

    ``CachedTeacher`` matches a sample by its ``img_path`` ending with the
    stored one, so the cache tool and anything else writing a cache use
    this one convention.

    Args:
        infos (Sequence[dict]): Data infos with ``img_path``.
        root (str): The dataset's ``data_root`` ('' or None: as given).

    Returns:
        list[str]: One relative path per info.
    """
    return [osp.relpath(i['img_path'], root or '').replace('\\', '/')
            for i in infos]


def dataset_fingerprint(rel_paths: Sequence[str],
                        labels: Sequence[int]) -> str:
    """SHA-256 of the ordered (relative path, label) list of a data set."""
    digest = hashlib.sha256()
    for path, label in zip(rel_paths, labels):
        digest.update(f'{path}\t{int(label)}\n'.encode())
    return digest.hexdigest()


def save_teacher_cache(path: str, logits: np.ndarray, views: np.ndarray,
                       rel_paths: Sequence[str], meta: dict) -> None:
    """Write the cache atomically (a temporary file, then a rename).

    The meta data gets the cache version and ``checksum``, a SHA-256 of the
    arrays as stored, which :func:`load_teacher_cache` verifies.
    """
    arrays = dict(
        logits=logits.astype(np.float16),
        views=views.astype(np.int16),
        rel_paths=np.asarray(rel_paths))
    meta = dict(meta, version=CACHE_VERSION, checksum=arrays_checksum(arrays))
    with atomic_file(path) as f:
        np.savez(f, meta=np.asarray(repr(meta)), **arrays)


def arrays_checksum(arrays: dict) -> str:
    """SHA-256 of the cache arrays (dtype, shape and bytes of each).

    Args:
        arrays (dict): ``logits``, ``views`` and ``rel_paths`` as stored.

    Returns:
        str: The hex digest.
    """
    digest = hashlib.sha256()
    for key in _ARRAYS:
        array = np.ascontiguousarray(arrays[key])
        digest.update(f'{key}{array.dtype.str}{array.shape}'.encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _unreadable(path: str, why) -> ValueError:
    return ValueError(
        f'Teacher cache "{path}" cannot be read ({why}): it is cut short '
        'or damaged, or not a cache written by tools/cache_teacher.py. '
        f'Rebuild it: {_BUILD}{path}')


def _open_cache(path: str):
    """Open a cache ``.npz`` (members load lazily), or say how to build it."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Teacher cache "{path}" not found. Build it with: {_BUILD}'
            f'{path}')
    try:
        data = np.load(path, allow_pickle=False)
    # numpy and zipfile fail on a damaged file with whatever they meet
    # (BadZipFile for a cut archive, EOFError for an empty file,
    # ValueError for a pickle or text, NotImplementedError for a changed
    # compression field, ...): name the file.
    except Exception as e:
        raise _unreadable(path, f'{type(e).__name__}: {e}') from e
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise _unreadable(path, 'a single array, not an .npz archive')
    missing = [k for k in (*_ARRAYS, 'meta') if k not in data.files]
    if missing:
        data.close()
        raise _unreadable(path, f'no {", ".join(missing)} in it')
    return data


def _read(data, key: str, path: str) -> np.ndarray:
    """One member of an open cache; a damaged member names the cache."""
    try:
        return data[key]
    # zipfile's CRC check finds changed bytes, numpy a damaged header
    # (ValueError, TypeError for a changed dtype) or an object array
    # (refused unpickled).
    except Exception as e:
        raise _unreadable(path, f'{key}: {type(e).__name__}: {e}') from e


def _checked_meta(data, path: str) -> dict:
    """The ``meta`` entry of an open cache, refused if another version."""
    text = str(_read(data, 'meta', path))
    try:
        meta = ast.literal_eval(text)
    except (ValueError, SyntaxError) as e:
        raise _unreadable(path, f'meta: {e}') from e
    if not isinstance(meta, dict):
        raise _unreadable(path, f'meta is {text[:80]!r}, not a dict')
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
        ValueError: if the file cannot be read (cut short, damaged, not a
            cache) or was written by another cache version.
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
        ValueError: if the file cannot be read (cut short, damaged, not a
            cache), was written by another cache version (checked before
            the arrays are read), has arrays of inconsistent shapes, or
            arrays changed since it was written (``checksum``; caches
            written before the checksum was introduced have none).
    """
    with _open_cache(path) as data:
        meta = _checked_meta(data, path)
        cache = {k: _read(data, k, path) for k in _ARRAYS}
    _check_shapes(cache, meta, path)
    if 'checksum' in meta and arrays_checksum(cache) != meta['checksum']:
        raise ValueError(
            f'Teacher cache "{path}" was changed after it was written: its '
            'arrays do not match the checksum stored with them. Rebuild '
            f'it: {_BUILD}{path}')
    cache['meta'] = meta
    return cache


def _check_shapes(cache: dict, meta: dict, path: str) -> None:
    """Refuse arrays that do not describe the same images and views."""
    logits, views, rel = cache['logits'], cache['views'], cache['rel_paths']
    shapes = (f'logits {logits.shape}, views {views.shape}, rel_paths '
              f'{rel.shape}')
    if not (logits.ndim == views.ndim == 3 and rel.ndim == 1
            and views.shape[2] == 5
            and logits.shape[:2] == views.shape[:2]
            and views.shape[0] == len(rel)):
        raise ValueError(
            f'Teacher cache "{path}" has arrays of inconsistent shapes '
            f'({shapes}; expected (N, V, classes), (N, V, 5), (N, )). '
            f'Rebuild it: {_BUILD}{path}')
    if meta.get('num_views', views.shape[1]) != views.shape[1]:
        raise ValueError(
            f'Teacher cache "{path}" holds {views.shape[1]} views per image '
            f'({shapes}), its meta says {meta["num_views"]}. Rebuild it: '
            f'{_BUILD}{path}')
