from typing import List

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmpretrain.datasets import CustomDataset
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class InMemoryCustomDataset(CustomDataset):
    """A :class:`CustomDataset` whose images are decoded once and kept.

    Small-image sets (CIFAR-style 32x32 JPEG folders) cost more to decode
    every epoch than to train a compact CNN on. This dataset decodes every
    image once at initialisation and hands the pipeline an ``img`` array,
    exactly like mmpretrain's ``CIFAR10`` does, so the same pipeline (no
    ``LoadImageFromFile``) serves both. Memory: ``H*W*3`` bytes per image
    (3 KiB at 32x32; 150 MiB for CIFAR-10's 50,000 training images).

    Args:
        channel_order (str): ``'rgb'`` (as mmpretrain's CIFAR datasets) or
            ``'bgr'`` (as ``LoadImageFromFile``). Defaults to ``'rgb'``.
        **kwargs: Passed to :class:`CustomDataset`.
    """

    def __init__(self, *args, channel_order: str = 'rgb', **kwargs):
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError(f'channel_order must be "rgb" or "bgr", got '
                             f'"{channel_order}"')
        self.channel_order = channel_order
        self._images: List[np.ndarray] = []
        super().__init__(*args, **kwargs)

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        # After full_init the data list is serialised; read it back.
        self._images = [
            self._decode(super(InMemoryCustomDataset,
                               self).get_data_info(i)['img_path'])
            for i in range(len(self))
        ]

    def _decode(self, path: str) -> np.ndarray:
        try:
            return mmcv.imfrombytes(
                fileio.get(path), flag='color',
                channel_order=self.channel_order)
        except Exception as e:
            raise ValueError(f'Cannot decode image "{path}": {e}') from e

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        img = self._images[idx]
        info['img'] = img
        info['img_shape'] = info['ori_shape'] = img.shape[:2]
        return info
