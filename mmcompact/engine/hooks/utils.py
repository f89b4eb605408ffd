from mmengine.model import is_model_wrapper
from torch import nn


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside a model wrapper (DDP and others), or the model.

    mmengine repeats this inline (``Runner._init_model_weights``) and offers
    no function for it.

    Args:
        model (nn.Module): ``runner.model``.

    Returns:
        nn.Module: The model a hook inspects or changes.
    """
    return model.module if is_model_wrapper(model) else model
