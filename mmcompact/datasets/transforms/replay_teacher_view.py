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
    """

    def __init__(self, cache_file: str):
        cache = load_teacher_cache(cache_file)
        self.cache_file = cache_file
        self.logits = cache['logits']
        self.views = cache['views']
        self.rel_paths = cache['rel_paths']
        self.image_shape = tuple(cache['meta']['image_shape'])

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
        if tuple(results['img'].shape[:2]) != self.image_shape:
            raise ValueError(
                f'Teacher cache "{self.cache_file}" was built on '
                f'{self.image_shape} images, but "{img_path}" is '
                f'{tuple(results["img"].shape[:2])}: the data set\'s '
                'image_size changed. Rebuild the cache.')
        view = np.random.randint(self.views.shape[1])
        results['teacher_view'] = self.views[idx, view].astype(np.int64)
        results['teacher_logits'] = self.logits[idx, view].astype(np.float32)
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(cache_file={self.cache_file!r})'
