from typing import Sequence, Union

import torch


def stack_images(inputs: Union[torch.Tensor, Sequence[torch.Tensor]],
                 user: str) -> torch.Tensor:
    """A batch of images as one tensor, or an error if their sizes differ.

    mmpretrain's data preprocessors keep a batch of different-size images as
    a list; code that works on the batch as a whole cannot, and a dataset
    with an ``image_size`` stores its images at one size.

    Args:
        inputs (Tensor | Sequence[Tensor]): A ``(N, C, H, W)`` tensor
            (returned as it is) or ``N`` ``(C, H, W)`` images.
        user (str): Who needs the images stacked and why, named in the
            error, e.g. ``'the ONNX graph'``.

    Returns:
        Tensor: ``(N, C, H, W)``.

    Raises:
        ValueError: if the images have different shapes (the error lists
            them).
    """
    if isinstance(inputs, torch.Tensor):
        return inputs
    shapes = sorted({tuple(i.shape) for i in inputs})
    if len(shapes) > 1:
        raise ValueError(
            f'{user} needs images of one size, got shapes {shapes} in one '
            'batch; give the dataset an image_size.')
    return torch.stack(list(inputs))
