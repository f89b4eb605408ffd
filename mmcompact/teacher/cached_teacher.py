"""The teacher cache: its file format, its checks and its replay.

Stage 2 need not run the frozen teacher at every step: the teacher is run
once over ``num_views`` stored views of every training image
(``tools/cache_teacher.py``, :class:`TeacherViewRunner`), and joint
training replays those views with the stored logits (:class:`CachedTeacher`,
asked by the student's ``RandomViewClsDataPreprocessor``). A view is a box
of the stored image plus a flip (FKD's region + flip), whatever the
augmentation: CIFAR's pad-and-crop and the random-resized crops of scene
photos are both boxes (:func:`crop_views`), so the teacher sees the box at
its own input size and the student replays it at its own.

Everything that knows the file lives here: writing it
(:func:`teacher_cache_meta`, :func:`save_teacher_cache`), reading it, and
the checks. A cache is refused when it was built from another teacher
(weights and input normalisation/size, :func:`teacher_fingerprint`) or
with other view settings (:func:`cache_mismatch`), for another data set,
split or labels (:meth:`CachedTeacher.check_dataset`), or when it is cut
short, damaged, inconsistent or changed after it was written (its arrays
no longer match the SHA-256 stored in its meta).

Cost: ``num_views * (2 * num_classes + 10)`` bytes per image (fp16 logits
and the int16 view) plus its relative path (fixed-width unicode, 4 B a
character).
"""
import ast
import datetime
import hashlib
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmpretrain.structures import DataSample

from mmcompact.utils import atomic_file

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


def default_cache_dir(teacher_ckpt: str, fallback: str) -> str:
    """Where a cache goes by default: with the teacher it was made from.

    Args:
        teacher_ckpt (str): The teacher's checkpoint file, stage-1 work dir
            or URL.
        fallback (str): The folder for a teacher given as a URL (stage 2's
            work dir).

    Returns:
        str: The work dir itself, the checkpoint's folder, or ``fallback``.
    """
    if '://' in teacher_ckpt:
        return fallback
    if osp.isfile(teacher_ckpt):
        return osp.dirname(osp.abspath(teacher_ckpt))
    return teacher_ckpt


def teacher_cache_meta(*, teacher: str, teacher_ckpt: str,
                       rel_paths: Sequence[str], labels: Sequence[int],
                       view: dict, num_views: int, seed: int,
                       image_shape: Sequence[int],
                       teacher_size: Sequence[int], amp: bool) -> dict:
    """The meta data ``tools/cache_teacher.py`` stores with a cache.

    Args:
        teacher (str): :func:`teacher_fingerprint` of the stage-1 weights.
        teacher_ckpt (str): The checkpoint they came from (for messages).
        rel_paths (Sequence[str]): :func:`dataset_rel_paths` of the images.
        labels (Sequence[int]): Their labels, in the same order.
        view (dict): The student preprocessor's checked ``view``.
        num_views (int): Views per image.
        seed (int): Seed the views were drawn with.
        image_shape (Sequence[int]): ``(H, W)`` of the stored images.
        teacher_size (Sequence[int]): ``(h, w)`` the teacher saw.
        amp (bool): Whether the teacher ran under autocast.

    Returns:
        dict: Meta data for :func:`save_teacher_cache`.
    """
    return dict(teacher=teacher, data=dataset_fingerprint(rel_paths, labels),
                teacher_ckpt=str(teacher_ckpt), num_views=num_views,
                seed=seed, view=view, image_shape=tuple(image_shape),
                teacher_size=tuple(teacher_size), amp=amp,
                created=datetime.datetime.now().isoformat(timespec='seconds'))


def cache_mismatch(meta: dict, teacher: str, view: Optional[dict],
                   num_views: Optional[int] = None,
                   data: Optional[str] = None) -> Optional[str]:
    """Why a cache does not fit a teacher and a student, or None if it does.

    The one compatibility check of a cache's meta data: the classifier
    refuses a cache that does not fit, ``tools/compact.py`` rebuilds it.

    Args:
        meta (dict): :func:`load_teacher_cache_meta` of the cache.
        teacher (str): :func:`teacher_fingerprint` of the current teacher.
        view (dict, optional): The student preprocessor's ``view``.
        num_views (int, optional): Views per image wanted; None: any.
        data (str, optional): :func:`dataset_fingerprint` of the training
            set; None: not compared here (``CachedTeacher.check_dataset``
            compares the built data set).

    Returns:
        str | None: e.g. ``'was built from another teacher (...)'``.
    """
    if meta.get('teacher') != teacher:
        return ('was built from another teacher (checkpoint '
                f'"{meta.get("teacher_ckpt")}", other weights or input '
                'size/normalisation)')
    if meta.get('view') != view:
        return (f'holds views drawn as {meta.get("view")}, but the '
                f'data_preprocessor draws {view}')
    if num_views is not None and meta.get('num_views') != num_views:
        return f'holds {meta.get("num_views")} views per image, not ' \
            f'{num_views}'
    if data is not None:
        return data_mismatch(meta, data)
    return None


def data_mismatch(meta: dict, data: str) -> Optional[str]:
    """Why a cache is not of a training set, or None if it is.

    Args:
        meta (dict): The cache's meta data.
        data (str): :func:`dataset_fingerprint` of the training set.

    Returns:
        str | None: ``'was built on other images or labels'`` or None.
    """
    if meta.get('data') != data:
        return 'was built on other images or labels'
    return None


def check_draws_views(preprocessor, where: str) -> None:
    """Refuse a student preprocessor that draws no views to cache/replay.

    Args:
        preprocessor: The student's built data preprocessor.
        where (str): Names the config or setting in the message.

    Raises:
        ValueError: if it has no ``view`` (not a
            ``RandomViewClsDataPreprocessor``, or ``view=None``).
    """
    if getattr(preprocessor, 'view', None) is None:
        raise ValueError(
            f'{where}: the student\'s data_preprocessor '
            f'({type(preprocessor).__name__}) draws no views, so it cannot '
            'replay stored teacher predictions: use a '
            "RandomViewClsDataPreprocessor with view=dict(type='PadCrop' | "
            "'ResizedCrop', ...).")


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
            arrays changed since it was written (``checksum``).
    """
    with _open_cache(path) as data:
        meta = _checked_meta(data, path)
        cache = {k: _read(data, k, path) for k in _ARRAYS}
    _check_shapes(cache, meta, path)
    if 'checksum' not in meta:
        raise _unreadable(path, 'no checksum in its meta')
    if arrays_checksum(cache) != meta['checksum']:
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


class CachedTeacher:
    """A frozen teacher's stored predictions, replayed by sample and view.

    ``tools/cache_teacher.py`` runs the teacher once over ``V`` stored views
    (a box and a flip, see ``RandomViewClsDataPreprocessor``) of every
    training image. In stage 2 the student's data preprocessor asks this
    object for the views of a batch (:meth:`replay`): one stored view of
    each sample is drawn at random (torch's global generator, so seeded
    runs and resumed ones repeat), its box is what the student is shown,
    and the teacher's logits for that view go on the sample as
    ``teacher_logits``. Samples are found by their ``sample_idx``.
    :meth:`check_dataset` checks a whole training set before training
    (``TeacherCacheCheckHook``); every batch is checked again (its image
    size, each sample's ``img_path``: a few string comparisons), for use
    outside the runner.

    Args:
        cache_file (str): ``.npz`` written by ``tools/cache_teacher.py``.
        num_views (int, optional): Replay only the first ``num_views``
            stored views of each image. The views are drawn independently,
            so the first ``k`` of a cache are a ``k``-view cache: one large
            cache answers how many views the student needs. Defaults to
            all stored views.
    """

    def __init__(self, cache_file: str, num_views: Optional[int] = None):
        cache = load_teacher_cache(cache_file)
        stored = cache['views'].shape[1]
        if num_views is not None and not 1 <= num_views <= stored:
            raise ValueError(
                f'teacher_cache_views={num_views}, but teacher cache '
                f'"{cache_file}" holds {stored} views per image; choose 1 '
                f'to {stored} or build a larger cache (--views).')
        self.cache_file = cache_file
        self.num_views = num_views or stored
        self.meta = cache['meta']
        # fp16 as stored (half the memory); cast per batch.
        self.logits = torch.from_numpy(
            np.ascontiguousarray(cache['logits'][:, :self.num_views]))
        self.views = torch.from_numpy(
            cache['views'][:, :self.num_views].astype(np.int64))
        self.rel_paths = [str(p) for p in cache['rel_paths']]
        self.image_shape = tuple(self.meta['image_shape'])

    def check_dataset(self, dataset) -> None:
        """Refuse a data set the cache was not built on.

        Args:
            dataset: A dataset whose ``get_data_info`` gives ``img_path``
                and ``gt_label`` (and ``img``, for in-memory datasets, whose
                size is checked too).

        Raises:
            ValueError: if the data set holds other images, in another
                order, at another stored size or with other labels than
                the cache.
        """
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        paths = [str(i.get('img_path')) for i in infos]
        differ = [i for i, path in enumerate(paths[:len(self.rel_paths)])
                  if not self._holds(i, path)]
        if differ or len(paths) != len(self.rel_paths):
            where = f'sample {differ[0]} is "{paths[differ[0]]}", the ' \
                f'cache holds "{self.rel_paths[differ[0]]}" there; ' \
                if differ else ''
            raise ValueError(
                f'Teacher cache "{self.cache_file}" does not match the data '
                f'set: {where}{len(paths)} images in the data set, '
                f'{len(self.rel_paths)} in the cache. {self._rebuild}')
        for path, info in zip(paths, infos):
            if 'img' in info and \
                    tuple(info['img'].shape[:2]) != self.image_shape:
                raise self._other_size(f'"{path}" is',
                                       info['img'].shape[:2])
        # The paths are the cached ones, so the stored fingerprint of
        # (path, label) pairs differs only if a label does.
        labels = [int(i['gt_label']) for i in infos]
        if data_mismatch(self.meta,
                         dataset_fingerprint(self.rel_paths, labels)):
            raise ValueError(
                f'Teacher cache "{self.cache_file}" was built on the same '
                'images with other labels (a class folder renamed, or '
                f'another classes list). {self._rebuild}')

    def _holds(self, idx: int, path: str) -> bool:
        """Whether image ``idx`` of the data set, at ``path``, is the image
        the cache stored at that index (stored paths use ``/``)."""
        return idx < len(self.rel_paths) and \
            str(path).replace('\\', '/').endswith(self.rel_paths[idx])

    @property
    def _rebuild(self) -> str:
        return ('It was built for another data set or split; rebuild it '
                'for this one: python tools/cache_teacher.py <joint config> '
                f'--out {self.cache_file}')

    def _other_size(self, what: str, shape) -> ValueError:
        return ValueError(
            f'Teacher cache "{self.cache_file}" was built on '
            f'{self.image_shape} images, but {what} {tuple(shape)}: the '
            "data set's image_size changed. Rebuild the cache.")

    def replay(self, data_samples: List[DataSample],
               image_shape: Sequence[int]) -> torch.Tensor:
        """Draw a stored view per sample and attach its teacher logits.

        Args:
            data_samples (list[DataSample]): The batch's samples, with
                ``sample_idx`` and ``img_path`` in their meta data
                (mmpretrain's ``PackInputs`` keeps both); each gets
                ``teacher_logits``.
            image_shape (Sequence[int]): ``(H, W)`` of the batch's images.

        Returns:
            Tensor: ``(N, 5)`` int64 views for ``crop_views``.

        Raises:
            ValueError: if the images have another size than the cached
                ones, or a sample is not the cache's image at its index.
        """
        if tuple(image_shape) != self.image_shape:
            raise self._other_size('the batch holds images of',
                                   image_shape)
        idx = torch.tensor([self._checked_index(s) for s in data_samples])
        pick = torch.randint(self.num_views, (len(idx), ))
        logits = self.logits[idx, pick].float()
        for sample, sample_logits in zip(data_samples, logits):
            sample.set_field(sample_logits, 'teacher_logits')
        return self.views[idx, pick]

    def _checked_index(self, sample: DataSample) -> int:
        idx = sample.get('sample_idx')
        path = sample.get('img_path')
        if idx is None or path is None:
            raise ValueError(
                'Replaying teacher cache "{}" needs every sample\'s '
                'sample_idx and img_path; a sample has {}. Keep them in '
                "PackInputs' meta_keys.".format(
                    self.cache_file, sorted(sample.metainfo_keys())))
        if not self._holds(idx, path):
            cached = self.rel_paths[idx] if idx < len(self.rel_paths) \
                else None
            raise ValueError(
                f'Teacher cache "{self.cache_file}" does not match the data '
                f'set: sample {idx} is "{path}", the cache holds "{cached}" '
                f'there ({len(self.rel_paths)} images). {self._rebuild}')
        return int(idx)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(cache_file={self.cache_file!r}, '
                f'num_views={self.num_views})')
