import torch

from mmcompact.utils import autocast


def test_bf16_on_cpu_and_off_when_disabled():
    layer = torch.nn.Linear(4, 2)
    x = torch.randn(3, 4)
    with autocast('cpu'):
        assert layer(x).dtype == torch.bfloat16
    with autocast('cpu', enabled=False):
        assert layer(x).dtype == torch.float32
