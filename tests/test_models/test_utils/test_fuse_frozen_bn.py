import copy

import pytest
import torch
from mmpretrain.registry import MODELS

import mmcompact  # noqa: F401
from mmcompact.models import fuse_frozen_bn

from ...conftest import TOY_TEACHER


def _trained_bn_model():
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(TOY_TEACHER))
    # Running statistics away from their 0/1 initial values, so that the
    # folding has something to fold.
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 3, 40, 40) * 2 + 1, mode='tensor')
    return model.eval()


def test_folded_model_has_no_batchnorm_and_same_outputs():
    model = _trained_bn_model()
    x = torch.randn(4, 3, 40, 40)
    with torch.no_grad():
        expected = model(x, mode='tensor')
    folded = fuse_frozen_bn(copy.deepcopy(model))
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                   for m in folded.modules())
    assert any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
               for m in model.modules())
    with torch.no_grad():
        got = folded(x, mode='tensor')
        assert torch.allclose(got, expected, atol=1e-5)
        # channels_last and bf16 on top of the folding: bf16 tolerance.
        folded.to(memory_format=torch.channels_last)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            low = folded(x.contiguous(memory_format=torch.channels_last),
                         mode='tensor').float()
    assert torch.allclose(low, expected, atol=0.1, rtol=0.05)


def test_training_mode_is_refused():
    model = _trained_bn_model().train()
    with pytest.raises(ValueError, match='eval mode'):
        fuse_frozen_bn(model)


def test_frozen_model_stays_frozen():
    model = _trained_bn_model().requires_grad_(False)
    fuse_frozen_bn(model)
    assert not any(p.requires_grad for p in model.parameters())
    assert not any(m.training for m in model.modules())
