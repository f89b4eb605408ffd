"""Distributed runs on CPU-only machines through mmengine's launcher."""
import datetime
import inspect
import os

import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.dist import is_distributed
from mmengine.registry import MODEL_WRAPPERS
from torch import distributed as torch_dist
from torch.nn.parallel import DistributedDataParallel

# Runner.wrap_model's own defaults when ``model_wrapper_cfg`` is None.
_DEFAULT_WRAPPER = dict(type='MMDistributedDataParallel',
                        broadcast_buffers=False)


def init_cpu_dist_if_needed(cfg: Config, launcher: str) -> bool:
    """Start ``torch.distributed`` with gloo when there is no accelerator.

    mmengine 0.10's ``init_dist('pytorch')`` binds each process to a GPU
    (``torch.cuda.set_device``) before it initialises the process group,
    which fails without an NVIDIA driver; and its ``Runner.wrap_model``
    gives DDP ``device_ids=[LOCAL_RANK]``, which DDP refuses for a CPU
    model. On a CPU-only machine (or with ``CUDA_VISIBLE_DEVICES=-1``) and
    ``launcher='pytorch'`` (torchrun, ``tools/dist_train.sh``), this
    initialises the process group the way mmengine would (``env://``
    rendezvous from torchrun's ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``,
    ``MASTER_PORT``; the ``env_cfg.dist_cfg`` options, e.g. ``timeout``),
    with gloo in place of the NCCL default, and gives the DDP wrapper
    ``device_ids=None``. ``Runner.setup_env`` then finds the group
    initialised and skips ``init_dist``. With a GPU (NCCL), or without a
    launcher, nothing changes.

    Call it after the command-line arguments are merged into ``cfg`` and
    before the runner is built.

    Args:
        cfg (Config): The run's config; ``env_cfg.dist_cfg.backend`` and
            ``model_wrapper_cfg`` are updated in place when the group is
            started here.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``
            (the ``--launcher`` argument).

    Returns:
        bool: True if the process group was initialised here.

    Raises:
        ValueError: for the ``slurm`` or ``mpi`` launcher on a machine
            without an accelerator, whose mmengine set-up also binds a GPU;
            for a ``pytorch`` launcher process whose ``LOCAL_RANK`` has no
            CUDA device.
    """
    if launcher in (None, 'none'):
        return False
    device = get_device()
    if device == 'cuda' and launcher == 'pytorch':
        _check_gpu_per_process()
    if device != 'cpu':
        return False
    if launcher != 'pytorch':
        raise ValueError(
            f'--launcher {launcher} needs a GPU (mmengine binds each process '
            'to one); on a CPU-only machine start the processes with '
            'torchrun: tools/dist_train.sh CONFIG NPROC (--launcher '
            'pytorch).')
    if is_distributed():
        return False

    env_cfg = dict(cfg.get('env_cfg') or {})
    dist_cfg = dict(env_cfg.get('dist_cfg') or {})
    # NCCL (mmpretrain's default) needs GPUs; gloo is torch's CPU backend.
    if dist_cfg.get('backend', 'nccl') == 'nccl':
        dist_cfg['backend'] = 'gloo'
    cfg.env_cfg = dict(env_cfg, dist_cfg=dist_cfg)
    kwargs = dict(dist_cfg)
    if kwargs.get('timeout') is not None:
        # Seconds in the config, as mmengine's init_dist takes them.
        kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])

    wrapper = cfg.get('model_wrapper_cfg')
    if wrapper is None:
        wrapper = dict(_DEFAULT_WRAPPER, find_unused_parameters=cfg.get(
            'find_unused_parameters', False))
    wrapper_type = wrapper.get('type', _DEFAULT_WRAPPER['type'])
    if isinstance(wrapper_type, str):
        wrapper_type = MODEL_WRAPPERS.get(wrapper_type)
    # The runner passes device_ids=[LOCAL_RANK] only as a default, so an
    # explicit None (a CPU model) takes precedence.
    if inspect.isclass(wrapper_type) and issubclass(
            wrapper_type, DistributedDataParallel):
        wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper

    torch_dist.init_process_group(**kwargs)
    return True


def _check_gpu_per_process() -> None:
    """Refuse a torchrun process whose local rank has no GPU."""
    local_rank = int(os.environ.get('LOCAL_RANK', 0))
    gpus = torch.cuda.device_count()
    if local_rank >= gpus:
        processes = os.environ.get('LOCAL_WORLD_SIZE', local_rank + 1)
        raise ValueError(
            f'{processes} processes on this machine but {gpus} visible '
            f'GPU(s): process {local_rank} has none. Start at most {gpus} '
            'processes per machine (one per GPU), or run them on the CPU '
            'with CUDA_VISIBLE_DEVICES=-1.')
