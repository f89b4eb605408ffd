import math
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS

from mmcompact.teacher import crop_views
from mmcompact.utils import stack_images


@MODELS.register_module()
class RandomViewClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that draws crop/flip views on the batch.

    Training views are boxes of the stored images plus a flip, drawn for the
    whole stacked ``uint8`` batch at once instead of per sample in the
    pipeline, then resized to ``size`` (:func:`crop_views`):

    - ``view=dict(type='PadCrop', crop_size=32, padding=4)``: CIFAR's
      zero-padded random crop;
    - ``view=dict(type='ResizedCrop', scale=(0.25, 1.0),
      ratio=(3 / 4, 4 / 3))``: Inception-style random-resized crop, for
      scenes and other photos;
    - ``view=None``: no random view (the pipeline augments), only the
      resize.

    With a teacher cache (:attr:`teacher_cache`) a training batch gets
    stored views instead of random ones, so the cached teacher predictions
    are the predictions for the view the student sees. At test time the
    whole image is resized to ``size`` (after normalisation); the
    ``JointLearningClassifier`` uses the same :meth:`resize` to bring a
    student's view to its teacher's input size.

    Use ``collate_fn=dict(type='default_collate')`` so the batch arrives
    stacked (a list of same-size images is stacked here). ``batch_augments``
    (mmpretrain's Mixup/CutMix) mix labels, so a training batch with
    unlabelled samples (negative labels: a transfer set) is refused.

    Args:
        size (int | Sequence[int]): Output ``(h, w)`` (an int for square).
        view (dict, optional): The random view, see above. Defaults to None.
        flip_prob (float): Probability of a horizontal flip of a random
            view. Defaults to 0.5.
        interpolation (str): ``F.interpolate`` mode. Defaults to
            ``'bilinear'``.
        **kwargs: Passed to :class:`ClsDataPreprocessor`.

    Attributes:
        teacher_cache (CachedTeacher, optional): Set by
            ``JointLearningClassifier(teacher_cache=...)``: training batches
            then replay stored views (``teacher_cache.replay``, which also
            gives every sample the teacher's logits for its view).
            Defaults to None (random views).
    """

    VIEW_TYPES = ('PadCrop', 'ResizedCrop')

    def __init__(self,
                 size: Union[int, Sequence[int]],
                 view: Optional[dict] = None,
                 flip_prob: float = 0.5,
                 interpolation: str = 'bilinear',
                 **kwargs):
        super().__init__(**kwargs)
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        if not 0 <= flip_prob <= 1:
            raise ValueError(f'flip_prob must be in [0, 1], got {flip_prob}')
        self.view = None if view is None else self._checked_view(view)
        self.flip_prob = flip_prob
        self.teacher_cache = None
        self.interpolation = interpolation

    @classmethod
    def _checked_view(cls, view: dict) -> dict:
        view = dict(view)
        kind = view.pop('type', None)
        if kind == 'PadCrop':
            crop = view.pop('crop_size')
            crop = (crop, crop) if isinstance(crop, int) else tuple(crop)
            padding = view.pop('padding', 0)
            if padding < 0:
                raise ValueError(f'PadCrop padding must be >= 0, got '
                                 f'{padding}')
            checked = dict(type=kind, crop_size=crop, padding=padding)
        elif kind == 'ResizedCrop':
            scale = tuple(view.pop('scale', (0.08, 1.0)))
            ratio = tuple(view.pop('ratio', (3 / 4, 4 / 3)))
            if not (0 < scale[0] <= scale[1] <= 1
                    and 0 < ratio[0] <= ratio[1]):
                raise ValueError(f'ResizedCrop needs 0 < scale[0] <= scale[1]'
                                 f' <= 1 and 0 < ratio[0] <= ratio[1], got '
                                 f'scale={scale}, ratio={ratio}')
            checked = dict(type=kind, scale=scale, ratio=ratio)
        else:
            raise ValueError(f'view type must be one of {cls.VIEW_TYPES}, '
                             f'got {kind!r}')
        if view:
            raise ValueError(f'Unknown {kind} view keys: {sorted(view)}')
        return checked

    def sample_views(self, n: int, height: int, width: int) -> torch.Tensor:
        """Draw ``n`` random views of ``height x width`` images.

        Uses torch's global generator, so runs seeded by the runner repeat.

        Args:
            n (int): Number of views.
            height (int): Height of the stored images.
            width (int): Width of the stored images.

        Returns:
            Tensor: ``(n, 5)`` int64 views, columns :data:`VIEW_FIELDS`.
        """
        if self.view is None:
            raise ValueError('RandomViewClsDataPreprocessor has no view to '
                             'sample (view=None)')
        if self.view['type'] == 'PadCrop':
            (crop_h, crop_w), p = self.view['crop_size'], self.view['padding']
            max_dy, max_dx = height + 2 * p - crop_h, width + 2 * p - crop_w
            if max_dy < 0 or max_dx < 0:
                raise ValueError(
                    f'Cannot crop {(crop_h, crop_w)} from {height}x{width} '
                    f'images padded by {p}')
            dy = torch.randint(0, max_dy + 1, (n, ))
            dx = torch.randint(0, max_dx + 1, (n, ))
            flip = torch.rand(n) < self.flip_prob
            return torch.stack([
                dy - p, dx - p,
                torch.full((n, ), crop_h),
                torch.full((n, ), crop_w),
                flip.long()
            ], 1)
        return self._sample_resized_crops(n, height, width)

    def _sample_resized_crops(self, n: int, height: int,
                              width: int) -> torch.Tensor:
        # torchvision's RandomResizedCrop.get_params, for n boxes at once:
        # 10 tries each, the whole image where none fits.
        tries = 10
        area = height * width * torch.empty(n, tries).uniform_(
            *self.view['scale'])
        log_ratio = torch.empty(n, tries).uniform_(
            *(math.log(r) for r in self.view['ratio']))
        ratio = torch.exp(log_ratio)
        box_w = torch.sqrt(area * ratio).round().long()
        box_h = torch.sqrt(area / ratio).round().long()
        fits = (box_w >= 1) & (box_h >= 1) & (box_w <= width) & (
            box_h <= height)
        first = fits.long().argmax(1)
        rows = torch.arange(n)
        box_h = torch.where(fits.any(1), box_h[rows, first], height)
        box_w = torch.where(fits.any(1), box_w[rows, first], width)
        top = (torch.rand(n) * (height - box_h + 1)).long()
        left = (torch.rand(n) * (width - box_w + 1)).long()
        flip = torch.rand(n) < self.flip_prob
        return torch.stack([top, left, box_h, box_w, flip.long()], 1)

    def resize(self, inputs: torch.Tensor) -> torch.Tensor:
        """Resize a normalised ``(N, C, H, W)`` batch to :attr:`size`."""
        if tuple(inputs.shape[-2:]) == self.size:
            return inputs
        smooth = self.interpolation in ('bilinear', 'bicubic')
        return F.interpolate(
            inputs, size=self.size, mode=self.interpolation,
            align_corners=False if smooth else None,
            antialias=smooth and (inputs.size(-2) > self.size[0]
                                  or inputs.size(-1) > self.size[1]))

    def forward(self, data: dict, training: bool = False) -> dict:
        if training and self.batch_augments is not None and any(
                'gt_label' in s and (s.gt_label < 0).any()
                for s in data.get('data_samples') or ()):
            raise ValueError(
                'batch_augments mix the labels of a batch, but it holds '
                'unlabelled samples (label < 0: the transfer set of '
                'unlabeled_prefix). Train with batch_augments=None or '
                'without the unlabelled folder.')
        if training and self.view is not None:
            inputs = stack_images(
                data['inputs'],
                'RandomViewClsDataPreprocessor (it draws views on the batch)')
            if self.teacher_cache is not None:
                views = self.teacher_cache.replay(data['data_samples'],
                                                  inputs.shape[-2:])
            else:
                views = self.sample_views(len(inputs), *inputs.shape[-2:])
            data = dict(
                data,
                inputs=crop_views(inputs, views, self.size,
                                  self.interpolation))
        data = super().forward(data, training)
        data['inputs'] = self.resize(data['inputs'])
        return data
