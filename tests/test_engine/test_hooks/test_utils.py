from torch import nn

from mmcompact.engine.hooks.utils import unwrap_model


def test_unwraps_a_model_wrapper_only():
    model = nn.Linear(2, 2)
    # DataParallel is a registered mmengine model wrapper that needs
    # neither a GPU nor a process group to build.
    assert unwrap_model(nn.DataParallel(model)) is model
    assert unwrap_model(model) is model
