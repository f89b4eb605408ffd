from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

from mmcompact.utils import load_teacher_cache


@TRANSFORMS.register_module()
class ReplayTeacherView(BaseTransform):
    """Pick a stored view of the sample and attach the teacher's logits.

    For a joint-learning train pipeline when the teacher's predictions were
    cached by ``tools/cache_teacher.py``: each time a sample is drawn, one
    of its stored views (a box and a flip) is picked at random and recorded
    as ``teacher_view``, with the teacher's logits *for that view* as
    ``teacher_logits``. The student's ``RandomViewClsDataPreprocessor``
    cuts the recorded views out of the whole batch at once. Pack both with
    ``PackInputs(algorithm_keys=['teacher_logits', 'teacher_view'])``.

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
                f'ReplayTeacherView: num_views={num_views}, but teacher '
                f'cache "{cache_file}" holds {stored} views per image; '
                f'choose 1 to {stored} or build a larger cache (--views).')
        self.cache_file = cache_file
        self.num_views = num_views or stored
        self.logits = cache['logits'][:, :self.num_views]
        self.views = cache['views'][:, :self.num_views]
        self.rel_paths = cache['rel_paths']
        self.image_shape = tuple(cache['meta']['image_shape'])

    def check_dataset(self, dataset) -> None:
        """Refuse a data set the cache was not built on, before training.

        ``InMemoryCustomDataset`` calls this once its images are decoded;
        :meth:`transform` checks every sample again, for other datasets.

        Args:
            dataset: A dataset whose ``get_data_info`` gives ``img_path``
                and ``img`` (an in-memory one).

        Raises:
            ValueError: if the data set holds other images, in another
                order, or at another stored size than the cache.
        """
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        paths = [str(i['img_path']).replace('\\', '/') for i in infos]
        cached = [str(p) for p in self.rel_paths]
        differ = [i for i, (path, rel) in enumerate(zip(paths, cached))
                  if not path.endswith(rel)]
        if differ or len(paths) != len(cached):
            where = f'sample {differ[0]} is "{paths[differ[0]]}", the ' \
                f'cache holds "{cached[differ[0]]}" there; ' if differ else ''
            raise ValueError(
                f'Teacher cache "{self.cache_file}" does not match the data '
                f'set: {where}{len(paths)} images in the data set, '
                f'{len(cached)} in the cache. It was built for another data '
                'set or split; rebuild it for this one: python '
                f'tools/cache_teacher.py <joint config> --out '
                f'{self.cache_file}')
        for path, info in zip(paths, infos):
            self._check_shape(path, info['img'])

    def _check_shape(self, img_path: str, img: np.ndarray) -> None:
        if tuple(img.shape[:2]) != self.image_shape:
            raise ValueError(
                f'Teacher cache "{self.cache_file}" was built on '
                f'{self.image_shape} images, but "{img_path}" is '
                f'{tuple(img.shape[:2])}: the data set\'s image_size '
                'changed. Rebuild the cache.')

    def transform(self, results: dict) -> dict:
        idx = results['sample_idx']
        cached = str(self.rel_paths[idx]) if idx < len(self.rel_paths) \
            else None
        img_path = str(results['img_path']).replace('\\', '/')
        if cached is None or not img_path.endswith(cached):
            raise ValueError(
                f'Teacher cache "{self.cache_file}" does not match the data '
                f'set: sample {idx} is "{img_path}", the cache holds '
                f'"{cached}" there. Rebuild the cache for this data '
                'set/split.')
        self._check_shape(img_path, results['img'])
        view = np.random.randint(self.views.shape[1])
        results['teacher_view'] = self.views[idx, view].astype(np.int64)
        results['teacher_logits'] = self.logits[idx, view].astype(np.float32)
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(cache_file={self.cache_file!r}, '
                f'num_views={self.num_views})')
