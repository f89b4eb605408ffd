from typing import Sequence, Union

import torch.nn.functional as F
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class ResizeClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that also resizes the batch to a fixed size.

    A fine-tuned ImageNet teacher wants larger inputs than 32x32 CIFAR
    images. Upsampling the normalised *batch* (bilinear, on tensors) instead
    of each image in the pipeline keeps the data path cheap and, above all,
    lets stage 2 feed the teacher exactly the student's augmented view: the
    :class:`JointLearningClassifier` applies the same :meth:`resize`.

    Args:
        size (int | Sequence[int]): Output ``(h, w)`` (an int for square).
        interpolation (str): ``F.interpolate`` mode. Defaults to
            ``'bilinear'``.
        **kwargs: Passed to :class:`ClsDataPreprocessor`.
    """

    def __init__(self,
                 size: Union[int, Sequence[int]],
                 interpolation: str = 'bilinear',
                 **kwargs):
        super().__init__(**kwargs)
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.interpolation = interpolation

    def resize(self, inputs):
        """Resize a normalised ``(N, C, H, W)`` batch to :attr:`size`."""
        if tuple(inputs.shape[-2:]) == self.size:
            return inputs
        align = False if self.interpolation in ('bilinear',
                                                'bicubic') else None
        return F.interpolate(
            inputs, size=self.size, mode=self.interpolation,
            align_corners=align)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        data['inputs'] = self.resize(data['inputs'])
        return data
