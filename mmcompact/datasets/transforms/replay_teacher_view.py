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

    With ``apply_view=False`` the image is left as it is and the view is
    recorded as ``teacher_view`` (``(dy, dx, flip)``) for a
    ``CropFlipClsDataPreprocessor`` to apply to the whole batch at once
    (pack it with ``algorithm_keys=['teacher_logits', 'teacher_view']``).

    Args:
        cache_file (str): ``.npz`` written by ``tools/cache_teacher.py``.
        apply_view (bool): Crop and flip the image here. Defaults to True.
    """

    def __init__(self, cache_file: str, apply_view: bool = True):
        cache = load_teacher_cache(cache_file)
        self.cache_file = cache_file
        self.apply_view = apply_view
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
        if self.apply_view:
            img = apply_view(results['img'], self.views[idx, view],
                             self.padding, self.crop_size)
            results['img'] = img
            results['img_shape'] = img.shape[:2]
        else:
            results['teacher_view'] = self.views[idx, view]
        results['teacher_logits'] = self.logits[idx, view].astype(np.float32)
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(cache_file={self.cache_file!r}, '
                f'apply_view={self.apply_view})')
