from typing import Tuple

import torch
import torch.nn.functional as F

#: Columns of a view: box top, left, height, width (in the stored image's
#: pixels; the box may reach outside it, where it reads zeros) and flip.
VIEW_FIELDS = ('top', 'left', 'height', 'width', 'flip')


def crop_views(inputs: torch.Tensor, views: torch.Tensor,
               size: Tuple[int, int],
               interpolation: str = 'bilinear') -> torch.Tensor:
    """Cut one view (box + flip) out of every image and resize it to ``size``.

    The one function that turns stored or freshly drawn views into pixels:
    the student replays a view at its input size, the teacher sees the same
    box at its own.

    Args:
        inputs (Tensor): ``(N, C, H, W)`` images (any dtype).
        views (Tensor): ``(N, 5)`` integer views, columns
            :data:`VIEW_FIELDS`.
        size (tuple[int, int]): Output ``(h, w)``.
        interpolation (str): ``F.interpolate`` mode for boxes of another
            size than ``size``. Defaults to ``'bilinear'``.

    Returns:
        Tensor: ``(N, C, h, w)``; the input dtype where no box needed a
        resize, float otherwise.
    """
    n, c, height, width = inputs.shape
    views = views.to(device=inputs.device, dtype=torch.long)
    top, left, box_h, box_w, flip = views.unbind(1)
    flip = flip.bool()
    out_h, out_w = size
    pad = max(0, int(-top.min()), int(-left.min()),
              int((top + box_h - height).max()),
              int((left + box_w - width).max()))
    padded = F.pad(inputs, (pad, ) * 4) if pad else inputs
    top, left = top + pad, left + pad
    if bool((box_h == out_h).all() and (box_w == out_w).all()):
        # Same-size boxes (pad-and-crop): two gathers on the whole batch,
        # one per axis, instead of one 4-D advanced index, which builds and
        # reads an index for every output element (much slower on a CPU).
        device = inputs.device
        rows = top[:, None] + torch.arange(out_h, device=device)
        cols = left[:, None] + torch.arange(out_w, device=device)
        # A flip is the box's columns read right to left.
        cols = torch.where(flip[:, None], cols.flip(1), cols)
        out = padded.gather(
            2, rows[:, None, :, None].expand(n, c, out_h, padded.size(3)))
        return out.gather(3, cols[:, None, None, :].expand(n, c, out_h, out_w))
    out = []
    for img, t, lf, h, w, f in zip(padded, top.tolist(), left.tolist(),
                                   box_h.tolist(), box_w.tolist(),
                                   flip.tolist()):
        crop = img[None, :, t:t + h, lf:lf + w].float()
        if (h, w) != (out_h, out_w):
            crop = F.interpolate(
                crop, size=size, mode=interpolation,
                align_corners=False if interpolation in ('bilinear',
                                                         'bicubic') else None,
                antialias=interpolation in ('bilinear', 'bicubic')
                and (h > out_h or w > out_w))
        out.append(crop.flip(3) if f else crop)
    return torch.cat(out)
