from typing import List, Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmpretrain.datasets import CustomDataset
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class InMemoryCustomDataset(CustomDataset):
    """A :class:`CustomDataset` whose images are decoded once and kept.

    Small-image sets (CIFAR-style 32x32 JPEG folders, 100 px scene photos)
    cost more to decode every epoch than to train a compact CNN on. This
    dataset decodes every image once at initialisation and hands the
    pipeline an ``img`` array, exactly like mmpretrain's ``CIFAR10`` does,
    so the same pipeline (no ``LoadImageFromFile``) serves both.

    With ``image_size`` every image is also resized once, shorter side to
    ``image_size``, and centre-cropped to a square: photos of any size and
    aspect then stack into one batch, so crops and flips can run on the
    whole batch (``RandomViewClsDataPreprocessor``). Grayscale, RGBA,
    16-bit and CMYK files are converted to 8-bit 3-channel images, in RGB
    order as mmpretrain's CIFAR datasets hand them out.
    Memory: ``H*W*3`` bytes per image (3 KiB at 32x32, 48 KiB at 128x128).

    Args:
        image_size (int, optional): Side of the stored square images.
            Defaults to None (images kept at their own size).
        num_classes (int, optional): Expected number of classes; a data set
            with another number is refused at start-up. Defaults to None.
        **kwargs: Passed to :class:`CustomDataset`.
    """

    def __init__(self,
                 *args,
                 image_size: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 **kwargs):
        if image_size is not None and image_size < 1:
            raise ValueError(f'image_size must be >= 1, got {image_size}')
        self.image_size = image_size
        self.num_classes = num_classes
        self._images: List[np.ndarray] = []
        super().__init__(*args, **kwargs)

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        if self.num_classes is not None and len(
                self.CLASSES) != self.num_classes:
            raise ValueError(
                f'{type(self).__name__}: "{self.data_prefix["img_path"]}" '
                f'has {len(self.CLASSES)} classes {tuple(self.CLASSES)}, '
                f'but num_classes={self.num_classes}. Set NUM_CLASSES (or '
                'num_classes in the dataset config) to the number of class '
                'folders.')
        # After full_init the data list is serialised; read it back.
        self._images = [
            self._decode(super(InMemoryCustomDataset,
                               self).get_data_info(i)['img_path'])
            for i in range(len(self))
        ]

    def _decode(self, path: str) -> np.ndarray:
        try:
            img = mmcv.imfrombytes(
                fileio.get(path), flag='color',
                channel_order='rgb')
        except Exception as e:
            raise ValueError(f'Cannot decode image "{path}": {e}') from e
        if img is None:
            raise ValueError(f'Cannot decode image "{path}": not an image '
                             'file or truncated.')
        if self.image_size is not None:
            img = self._square(img, self.image_size)
        return img

    @staticmethod
    def _square(img: np.ndarray, size: int) -> np.ndarray:
        """Resize the shorter side to ``size`` and centre-crop a square."""
        h, w = img.shape[:2]
        if (h, w) != (size, size):
            scale = size / min(h, w)
            new_w, new_h = max(size, round(w * scale)), max(
                size, round(h * scale))
            img = mmcv.imresize(
                img, (new_w, new_h),
                interpolation='area' if scale < 1 else 'bilinear')
            top, left = (new_h - size) // 2, (new_w - size) // 2
            img = np.ascontiguousarray(img[top:top + size,
                                           left:left + size])
        return img

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        img = self._images[idx]
        info['img'] = img
        info['img_shape'] = info['ori_shape'] = img.shape[:2]
        return info
