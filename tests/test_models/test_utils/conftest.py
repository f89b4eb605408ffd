import copy

import pytest
import torch
from mmpretrain.registry import MODELS

import mmcompact  # noqa: F401

from ...conftest import TOY_TEACHER


@pytest.fixture
def bn_teacher():
    """The toy teacher in eval mode with BatchNorm statistics to fold."""
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(TOY_TEACHER))
    # Running statistics away from their 0/1 initial values, so that the
    # folding has something to fold.
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 3, 40, 40) * 2 + 1, mode='tensor')
    return model.eval()
