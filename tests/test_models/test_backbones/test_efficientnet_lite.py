import pytest
import torch

import mmcompact  # noqa: F401
from mmcompact.models import EfficientNetLite


def test_output_shapes_and_frozen_stages():
    model = EfficientNetLite('lite0', out_indices=(0, 3, 8), frozen_stages=2)
    model.train()
    outs = model(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 32, 32, 32),
                                              (1, 40, 8, 8),
                                              (1, 1280, 2, 2)]
    for layer in model.layers[:2]:
        assert not layer.training
        assert all(not p.requires_grad for p in layer.parameters())
    assert all(p.requires_grad for p in model.layers[2].parameters())
    with pytest.raises(KeyError, match='lite9'):
        EfficientNetLite('lite9')
