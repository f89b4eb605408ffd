"""Teacher predictions stored per augmented view (FKD-style).

Stage 2 need not run the frozen teacher at every step: the teacher is run
once over ``num_views`` stored crop/flip views of every training image, and
joint training replays those views (:class:`ReplayTeacherView`) with the
stored logits. The cache is keyed by a fingerprint of the teacher (weights
and input normalisation/size) and of the data set (image paths and labels),
so a cache of another teacher, data set or split is refused.

Cost: ``num_views * (2 * num_classes + 3)`` bytes per image (fp16 logits
and the view) plus its relative path (fixed-width unicode, 4 B a
character): 284 B per image for 8 views of CIFAR-10, 14.2 MB for its 50,000
training images (measured).
"""
import ast
import hashlib
import os
import os.path as osp
from typing import Sequence

import numpy as np
import torch

CACHE_VERSION = 1


def sample_views(num_images: int, num_views: int, max_offset: int,
                 seed: int = 0) -> np.ndarray:
    """Draw ``(dy, dx, flip)`` for every image and view, reproducibly.

    Returns:
        np.ndarray: ``uint8`` array of shape ``(num_images, num_views, 3)``.
    """
    rng = np.random.default_rng(seed)
    views = np.empty((num_images, num_views, 3), np.uint8)
    views[..., :2] = rng.integers(0, max_offset + 1, (num_images, num_views, 2))
    views[..., 2] = rng.integers(0, 2, (num_images, num_views))
    return views


def apply_view(img: np.ndarray, view: Sequence[int], padding: int,
               crop_size: int) -> np.ndarray:
    """Zero-pad, crop at ``(dy, dx)`` and optionally flip an HWC image.

    The same function makes the views for the teacher (when the cache is
    built) and for the student (when it is replayed).
    """
    dy, dx, flip = (int(v) for v in view)
    padded = np.pad(img, ((padding, padding), (padding, padding), (0, 0)))
    out = padded[dy:dy + crop_size, dx:dx + crop_size]
    return np.ascontiguousarray(out[:, ::-1] if flip else out)


def crop_settings(cfg):
    """``(crop_size, padding)`` of the student's training crop in a config.

    Read from a ``CropFlipClsDataPreprocessor`` (crop on the batch) or else
    from the train pipeline's ``RandomCrop``: the views a teacher cache
    stores must be the ones the student trains on.

    Args:
        cfg (Config): A joint-learning config.

    Returns:
        tuple[int, int]: Square crop size and zero padding.

    Raises:
        ValueError: if the config crops neither way, or not square.
    """
    pre = cfg.model.get('data_preprocessor') or {}
    if pre.get('type') == 'CropFlipClsDataPreprocessor':
        size, padding = pre['crop_size'], pre.get('padding', 0)
    else:
        steps = [s for s in cfg.train_dataloader.dataset.pipeline
                 if s['type'] == 'RandomCrop']
        if not steps:
            raise ValueError(
                'Neither a CropFlipClsDataPreprocessor nor a RandomCrop in '
                'the train pipeline: tools/cache_teacher.py replays '
                'pad+crop+flip views only.')
        size, padding = steps[0]['crop_size'], steps[0].get('padding') or 0
    if not isinstance(size, int):
        if len(set(size)) != 1:
            raise ValueError(f'Only square crops are cached, got {size}')
        size = size[0]
    return size, padding


def teacher_fingerprint(teacher: torch.nn.Module) -> str:
    """SHA-256 of the teacher's weights and input normalisation/size."""
    digest = hashlib.sha256()
    for key, value in sorted(teacher.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    pre = teacher.data_preprocessor
    for name in ('mean', 'std', 'size'):
        value = getattr(pre, name, None)
        if isinstance(value, torch.Tensor):
            value = value.flatten().tolist()
        digest.update(repr(value).encode())
    return digest.hexdigest()


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
        views=views,
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
        dict: The meta data (fingerprints, checkpoint, crop settings,
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
        dict: ``logits`` ``(N, V, C)``, ``views`` ``(N, V, 3)``,
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
