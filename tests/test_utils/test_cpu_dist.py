"""init_cpu_dist_if_needed: gloo on CPU, mmengine's own set-up on GPU."""
import socket

import pytest
from mmengine.config import Config
from torch import distributed as torch_dist

from mmcompact.utils import cpu_dist, init_cpu_dist_if_needed


def _cfg(**kwargs):
    return Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl')),
                       **kwargs))


@pytest.fixture
def on_cpu(monkeypatch):
    monkeypatch.setattr(cpu_dist, 'get_device', lambda: 'cpu')


def test_nothing_without_launcher_or_on_gpu(monkeypatch, on_cpu):
    cfg = _cfg()
    assert init_cpu_dist_if_needed(cfg, 'none') is False
    monkeypatch.setattr(cpu_dist, 'get_device', lambda: 'cuda')
    monkeypatch.setattr(cpu_dist.torch.cuda, 'device_count', lambda: 1)
    monkeypatch.setenv('LOCAL_RANK', '0')
    assert init_cpu_dist_if_needed(cfg, 'pytorch') is False
    # NCCL and mmengine's DDP defaults untouched.
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert 'model_wrapper_cfg' not in cfg


def test_slurm_on_cpu_is_refused(on_cpu):
    with pytest.raises(ValueError, match='--launcher slurm needs a GPU'):
        init_cpu_dist_if_needed(_cfg(), 'slurm')


def test_single_process_group_with_gloo(monkeypatch, on_cpu):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    # What torchrun sets for a world of one.
    for key, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                           MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    cfg = _cfg(model_wrapper_cfg=dict(type='MMDistributedDataParallel',
                                      find_unused_parameters=True))
    cfg.env_cfg.dist_cfg.timeout = 60
    try:
        assert init_cpu_dist_if_needed(cfg, 'pytorch') is True
        assert torch_dist.get_backend() == 'gloo'
        assert torch_dist.get_world_size() == 1
        # Already initialised: left alone.
        assert init_cpu_dist_if_needed(cfg, 'pytorch') is False
    finally:
        if torch_dist.is_initialized():
            torch_dist.destroy_process_group()
    assert cfg.env_cfg.dist_cfg == dict(backend='gloo', timeout=60)
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', find_unused_parameters=True,
        device_ids=None)


@pytest.mark.parametrize('local_rank, gpus, refused', [
    (0, 1, False), (1, 2, False), (1, 1, True), (0, 0, True)])
def test_torchrun_process_without_a_gpu_is_refused(monkeypatch, local_rank,
                                                   gpus, refused):
    monkeypatch.setattr(cpu_dist, 'get_device', lambda: 'cuda')
    monkeypatch.setattr(cpu_dist.torch.cuda, 'device_count', lambda: gpus)
    monkeypatch.setenv('LOCAL_RANK', str(local_rank))
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '2')
    if refused:
        with pytest.raises(ValueError,
                           match=f'2 processes on this machine but {gpus} '
                           f'visible GPU\\(s\\): process {local_rank} has '
                           'none.*CUDA_VISIBLE_DEVICES=-1'):
            init_cpu_dist_if_needed(_cfg(), 'pytorch')
    else:
        assert init_cpu_dist_if_needed(_cfg(), 'pytorch') is False
    # Other launchers bind GPUs their own way.
    assert init_cpu_dist_if_needed(_cfg(), 'slurm') is False
