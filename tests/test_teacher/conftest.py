import pytest
import torch

from ..conftest import build_toy_teacher


@pytest.fixture
def bn_teacher():
    """The toy teacher in eval mode with BatchNorm statistics to fold."""
    model = build_toy_teacher()
    # Running statistics away from their 0/1 initial values, so that the
    # folding has something to fold.
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 3, 40, 40) * 2 + 1, mode='tensor')
    return model.eval()
