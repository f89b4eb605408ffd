import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

from ..teacher_cache import apply_view, load_teacher_cache


@TRANSFORMS.register_module()
class ReplayTeacherView(BaseTransform):
    """Replay a stored crop/flip view and attach the teacher's logits.

    Replaces ``RandomCrop(padding) + RandomFlip`` in a joint-learning train
    pipeline when the teacher's predictions were cached by
    ``tools/cache_teacher.py``: each time a sample is drawn, one of its
    stored views is picked at random, applied to the image, and the
    teacher's logits *for that view* are added as ``teacher_logits`` (pack
    them with ``PackInputs(algorithm_keys=['teacher_logits'])``).

    Args:
        cache_file (str): ``.npz`` written by ``tools/cache_teacher.py``.
    """

    def __init__(self, cache_file: str):
        cache = load_teacher_cache(cache_file)
        self.cache_file = cache_file
        self.logits = cache['logits']
        self.views = cache['views']
        self.rel_paths = cache['rel_paths']
        self.padding = cache['meta']['padding']
        self.crop_size = cache['meta']['crop_size']

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
        view = np.random.randint(self.views.shape[1])
        img = apply_view(results['img'], self.views[idx, view], self.padding,
                         self.crop_size)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['teacher_logits'] = self.logits[idx, view].astype(np.float32)
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(cache_file={self.cache_file!r})'
