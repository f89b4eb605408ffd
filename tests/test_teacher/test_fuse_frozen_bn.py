import copy

import pytest
import torch

import mmcompact  # noqa: F401
from mmcompact.teacher import fuse_frozen_bn


def test_folded_model_has_no_batchnorm_and_same_outputs(bn_teacher):
    model = bn_teacher
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


def test_training_mode_is_refused(bn_teacher):
    model = bn_teacher.train()
    with pytest.raises(ValueError, match='eval mode'):
        fuse_frozen_bn(model)


def test_frozen_model_stays_frozen(bn_teacher):
    model = bn_teacher.requires_grad_(False)
    fuse_frozen_bn(model)
    assert not any(p.requires_grad for p in model.parameters())
    assert not any(m.training for m in model.modules())
