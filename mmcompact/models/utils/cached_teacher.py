from typing import List, Optional, Sequence

import numpy as np
import torch
from mmpretrain.structures import DataSample

from mmcompact.utils import load_teacher_cache


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
                (and ``img``, for in-memory datasets, whose size is
                checked too).

        Raises:
            ValueError: if the data set holds other images, in another
                order, or at another stored size than the cache.
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
