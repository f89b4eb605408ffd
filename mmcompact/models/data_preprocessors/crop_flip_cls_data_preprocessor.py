from typing import List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


@MODELS.register_module()
class CropFlipClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that random-crops and flips the training batch.

    Does what ``RandomCrop(crop_size, padding)`` (zero padding) and
    ``RandomFlip(prob=flip_prob, direction='horizontal')`` do in a train
    pipeline, but once per batch on the stacked ``uint8`` tensor instead of
    per sample in numpy. For a compact CNN on 32x32
    images the per-sample transforms cost a large share of a training
    step on a 2-core CPU; with this preprocessor the train pipeline is just
    ``PackInputs``. Use ``collate_fn=dict(type='default_collate')`` so the
    batch arrives stacked. At test time (``training=False``) nothing is
    cropped or flipped.

    A sample whose data sample carries ``view_key`` -- ``(dy, dx, flip)``,
    recorded by ``ReplayTeacherView(apply_view=False)`` -- gets that stored
    view instead of a random one, so cached teacher predictions stay the
    predictions for the view the student sees.

    Args:
        crop_size (int | Sequence[int]): Output ``(h, w)`` (an int for
            square).
        padding (int): Zero padding on each side before cropping.
            Defaults to 0.
        flip_prob (float): Probability of a horizontal flip. Defaults to
            0.5.
        view_key (str): Data-sample field holding a stored view. Defaults to
            ``'teacher_view'``.
        **kwargs: Passed to :class:`ClsDataPreprocessor`.
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]],
                 padding: int = 0,
                 flip_prob: float = 0.5,
                 view_key: str = 'teacher_view',
                 **kwargs):
        super().__init__(**kwargs)
        self.crop_size = (crop_size, crop_size) if isinstance(
            crop_size, int) else tuple(crop_size)
        if padding < 0 or not 0 <= flip_prob <= 1:
            raise ValueError(f'padding must be >= 0 and flip_prob in [0, 1], '
                             f'got padding={padding}, flip_prob={flip_prob}')
        self.padding = padding
        self.flip_prob = flip_prob
        self.view_key = view_key

    def forward(self, data: dict, training: bool = False) -> dict:
        if training:
            data = dict(
                data,
                inputs=self.crop_flip(data['inputs'],
                                      data.get('data_samples')))
        return super().forward(data, training)

    def crop_flip(self,
                  inputs: Union[torch.Tensor, List[torch.Tensor]],
                  data_samples: Optional[List[DataSample]] = None
                  ) -> torch.Tensor:
        """Crop and flip a ``(N, C, H, W)`` batch, one view per sample.

        Args:
            inputs (Tensor | list[Tensor]): The batch (``default_collate``)
                or its images (``pseudo_collate``; stacked here).
            data_samples (list[DataSample], optional): Stored views are read
                from their ``view_key`` field when every sample has one.

        Returns:
            Tensor: ``(N, C, crop_h, crop_w)``, same dtype as the input.
        """
        if isinstance(inputs, (list, tuple)):
            shapes = sorted({tuple(i.shape) for i in inputs})
            if len(shapes) > 1:
                raise ValueError(
                    'CropFlipClsDataPreprocessor needs images of one size to '
                    f'crop the batch at once, got shapes {shapes}')
            inputs = torch.stack(inputs)
        n, c, h, w = inputs.shape
        p = self.padding
        max_dy, max_dx = h + 2 * p - self.crop_size[0], \
            w + 2 * p - self.crop_size[1]
        if max_dy < 0 or max_dx < 0:
            raise ValueError(
                f'Cannot crop {self.crop_size} from {h}x{w} images padded by '
                f'{p}')
        views = self._stored_views(data_samples)
        if views is None:
            dy = torch.randint(0, max_dy + 1, (n, ))
            dx = torch.randint(0, max_dx + 1, (n, ))
            flip = torch.rand(n) < self.flip_prob
        else:
            dy, dx, flip = views[:, 0], views[:, 1], views[:, 2].bool()
            if (dy.max() > max_dy or dx.max() > max_dx or views.min() < 0):
                raise ValueError(
                    f'Stored views "{self.view_key}" have offsets up to '
                    f'({int(dy.max())}, {int(dx.max())}), but cropping '
                    f'{self.crop_size} from {h}x{w} images padded by {p} '
                    f'allows ({max_dy}, {max_dx}): the views were made '
                    'with another crop_size/padding.')
        device = inputs.device
        dy, dx, flip = dy.to(device), dx.to(device), flip.to(device)
        crop_h, crop_w = self.crop_size
        rows = dy[:, None] + torch.arange(crop_h, device=device)
        cols = dx[:, None] + torch.arange(crop_w, device=device)
        # A flip is the crop's columns read right to left.
        cols = torch.where(flip[:, None], cols.flip(1), cols)
        padded = F.pad(inputs, (p, p, p, p)) if p else inputs
        # Two gathers (rows, then columns): 3x faster than one 4-D
        # advanced index on a 2-core CPU.
        out = padded.gather(
            2, rows[:, None, :, None].expand(n, c, crop_h, padded.size(3)))
        return out.gather(
            3, cols[:, None, None, :].expand(n, c, crop_h, crop_w))

    def _stored_views(self, data_samples: Optional[List[DataSample]]
                      ) -> Optional[torch.Tensor]:
        """``(N, 3)`` stored views, or None when no sample carries one."""
        if not data_samples:
            return None
        has_view = [self.view_key in s for s in data_samples]
        if not any(has_view):
            return None
        if not all(has_view):
            raise ValueError(
                f'{has_view.count(False)} of {len(has_view)} samples in the '
                f'batch have no "{self.view_key}": the train pipeline must '
                'record a view for every sample or for none.')
        return torch.from_numpy(
            np.stack([
                np.asarray(s.get(self.view_key), dtype=np.int64)
                for s in data_samples
            ]))
