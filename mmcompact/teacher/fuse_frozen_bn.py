import torch.nn as nn
from mmcv.cnn import fuse_conv_bn


def fuse_frozen_bn(model: nn.Module) -> nn.Module:
    """Fold every BatchNorm that follows a convolution into its weights.

    A frozen teacher in eval mode only ever applies the BatchNorm's running
    statistics, an affine map per channel that the preceding convolution can
    absorb; folding removes one pass over every activation map, which on a
    CPU is a large share of an inference-only forward pass. Uses mmcv's
    :func:`~mmcv.cnn.fuse_conv_bn` (a BatchNorm directly after a ``Conv2d``
    among a module's children, as in ``ConvModule``).

    The folded model has other ``state_dict`` keys and values: fingerprint
    or save the model before folding it.

    Args:
        model (nn.Module): A model in eval mode whose BatchNorm layers are
            not trained any more.

    Returns:
        nn.Module: ``model``, folded in place; still without gradients if
        it had none.

    Raises:
        ValueError: If the model is in training mode.
    """
    if model.training:
        raise ValueError('fuse_frozen_bn needs a model in eval mode: the '
                         'folded BatchNorm layers stop updating their '
                         'statistics.')
    frozen = not any(p.requires_grad for p in model.parameters())
    # The nn.Identity that replaces each BatchNorm is new, in training mode.
    fuse_conv_bn(model).eval()
    if frozen:
        # mmcv makes the folded weights new Parameters, which require grad.
        model.requires_grad_(False)
    return model
