import pytest
import torch
import torch.nn as nn
from mmengine.optim import AmpOptimWrapper, build_optim_wrapper

import mmcompact  # noqa: F401
from mmcompact.engine import AutoAmpOptimWrapper

cpu_only = pytest.mark.skipif(torch.cuda.is_available(),
                              reason='checks the CPU (bf16) path')
cuda_only = pytest.mark.skipif(not torch.cuda.is_available(),
                               reason='checks the CUDA (fp16) path')


def _wrapper(**kwargs):
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    cfg = dict(type='AutoAmpOptimWrapper',
               optimizer=dict(type='SGD', lr=0.1), **kwargs)
    return model, build_optim_wrapper(model, cfg)


@cpu_only
def test_cpu_forward_runs_in_bf16_and_updates_weights():
    model, wrapper = _wrapper()
    assert isinstance(wrapper, AutoAmpOptimWrapper) and wrapper.on_cpu
    before = model[0].weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(4, 8))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().pow(2).mean())
    assert model[0].weight.dtype == torch.float32  # master weights stay fp32
    assert not torch.equal(model[0].weight, before)


@cpu_only
def test_state_dict_round_trip_and_dtype_check():
    model, wrapper = _wrapper()
    with wrapper.optim_context(model):
        loss = model(torch.randn(4, 8)).float().sum()
    wrapper.update_params(loss)
    state = wrapper.state_dict()
    assert 'loss_scaler' not in state
    _, other = _wrapper()
    # A GPU run's scaler state is dropped, the optimizer state kept.
    other.load_state_dict(dict(state, loss_scaler={'scale': 1024.0}))
    assert other.optimizer.state_dict()['param_groups'][0]['lr'] == 0.1
    with pytest.raises(ValueError, match='bfloat16'):
        _wrapper(dtype='float16')


@cuda_only
def test_cuda_is_mmengine_amp_with_a_loss_scaler():
    model, wrapper = _wrapper()
    model.cuda()
    assert isinstance(wrapper, AmpOptimWrapper) and not wrapper.on_cpu
    assert wrapper.loss_scaler is not None  # dynamic GradScaler
    before = model[0].weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(4, 8, device='cuda'))
    assert out.dtype == torch.float16
    wrapper.update_params(out.float().pow(2).mean())
    assert model[0].weight.dtype == torch.float32
    assert not torch.equal(model[0].weight, before)
    assert 'loss_scaler' in wrapper.state_dict()
