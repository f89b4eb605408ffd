import torch
from torch import nn

from mmcompact.utils import autocast
from .crop_views import crop_views
from .fuse_frozen_bn import fuse_frozen_bn


class TeacherViewRunner:
    """Run a frozen teacher on views (boxes + flips) cut from whole images.

    The step of ``tools/cache_teacher.py`` (and of the benchmark that times
    it): each view is cut out of its image and resized to the teacher's own
    input size (:func:`crop_views`), normalised by the teacher's data
    preprocessor and run through the teacher without gradients.

    Args:
        teacher (nn.Module): A stage-1 classifier in eval mode, on its
            device. Changed in place when ``fuse_bn`` or ``channels_last``.
        fuse_bn (bool): Fold the frozen BatchNorm layers into their
            convolutions (:func:`fuse_frozen_bn`). Defaults to True.
        channels_last (bool): Convert the teacher and its inputs to NHWC,
            oneDNN's native layout on x86 CPUs. Defaults to True.
        compile (bool): ``torch.compile`` the forward pass; the first
            batches wait for the compilation. Defaults to False.
        amp (bool): Autocast, bf16 on CPU and fp16 on GPU. Defaults to
            False.
    """

    def __init__(self,
                 teacher: nn.Module,
                 fuse_bn: bool = True,
                 channels_last: bool = True,
                 compile: bool = False,
                 amp: bool = False):
        if fuse_bn:
            fuse_frozen_bn(teacher)
        if channels_last:
            teacher.to(memory_format=torch.channels_last)
        self.teacher = teacher
        self.forward = torch.compile(teacher) if compile else teacher
        self.channels_last = channels_last
        self.amp = amp
        self.device = next(teacher.parameters()).device
        pre = teacher.data_preprocessor
        # A preprocessor without a size takes the box at the image's size.
        self.size = getattr(pre, 'size', None)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor,
                 views: torch.Tensor) -> torch.Tensor:
        """The teacher's logits for one view of each image.

        Args:
            images (Tensor): ``(N, C, H, W)`` stored images (uint8).
            views (Tensor): ``(N, 5)`` views, columns ``VIEW_FIELDS``.

        Returns:
            Tensor: ``(N, num_classes)`` float32 logits, on the CPU.
        """
        size = self.size or tuple(images.shape[-2:])
        data = self.teacher.data_preprocessor(
            {'inputs': crop_views(images, views, size)}, False)
        inputs = data['inputs'].to(self.device)
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        with autocast(self.device.type, self.amp):
            logits = self.forward(inputs, mode='tensor')
        return logits.float().cpu()
