import torch
from torch import nn


class NormalizedClassifier(nn.Module):
    """A classifier that takes raw pixels: normalisation folded in.

    Wraps an mmpretrain ``ImageClassifier`` for export: its input is the
    image batch as a user has it (``float32`` ``(N, 3, H, W)``, RGB, values
    in the uint8 range 0-255, already at the model's input size), its
    output the logits. The data preprocessor's mean/std are applied inside,
    so a deployed graph needs no separate normalisation step; its channel
    flip is not, because the input is RGB by definition (``to_rgb=True``
    means a BGR-loading pipeline whose images the preprocessor flipped to
    the RGB the network was trained on). The preprocessor's resize is left
    to the caller (:func:`mmcompact.apis.graph_inputs`), who feeds images
    at the input size.

    Args:
        model (nn.Module): The classifier; it keeps its own mode.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        pre = model.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            mean, std = pre.mean.detach().clone(), pre.std.detach().clone()
        else:
            mean, std = torch.zeros(3, 1, 1), torch.ones(3, 1, 1)
        self.register_buffer('mean', mean.float().view(1, -1, 1, 1))
        self.register_buffer('std', std.float().view(1, -1, 1, 1))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Logits of a raw ``(N, 3, H, W)`` RGB batch in the 0-255 range."""
        return self.model((inputs - self.mean) / self.std, mode='tensor')
