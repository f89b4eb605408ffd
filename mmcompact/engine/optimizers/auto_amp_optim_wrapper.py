from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


def _accelerator_available() -> bool:
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())


@OPTIM_WRAPPERS.register_module()
class AutoAmpOptimWrapper(AmpOptimWrapper):
    """Mixed precision on whatever device there is.

    mmengine's :class:`AmpOptimWrapper` asserts an accelerator. On a GPU (or
    NPU/MLU/MUSA) this wrapper *is* that wrapper (fp16 autocast with a
    dynamic ``GradScaler`` by default). On a CPU-only machine it runs the
    forward pass under ``torch.autocast('cpu', dtype=torch.bfloat16)``;
    bf16 keeps fp32's exponent range, so no loss scaling is needed and
    ``backward``/``step`` are those of the plain :class:`OptimWrapper`.
    On CPUs with bf16 instructions (AVX512_BF16, AMX) it speeds training
    up; measured speed-ups: docs/cifar10.md (*CPU speed: benchmark*).

    Args:
        loss_scale (float | str | dict): GradScaler setting, used on
            accelerators only. Defaults to ``'dynamic'``.
        dtype (str | torch.dtype, optional): Autocast dtype. ``None`` means
            float16 on accelerators and bfloat16 on CPU. On CPU only
            ``'bfloat16'`` is accepted (CPU autocast has no fp16 path).
        use_fsdp (bool): Passed to :class:`AmpOptimWrapper`.
        **kwargs: Passed to :class:`OptimWrapper`.
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype, None] = None,
                 use_fsdp: bool = False,
                 **kwargs):
        self.on_cpu = not _accelerator_available()
        if not self.on_cpu:
            super().__init__(
                loss_scale=loss_scale, dtype=dtype, use_fsdp=use_fsdp,
                **kwargs)
            return
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype, None)
        if dtype not in (None, torch.bfloat16):
            raise ValueError('AutoAmpOptimWrapper: CPU autocast supports '
                             f'bfloat16 only, got dtype={dtype}')
        OptimWrapper.__init__(self, **kwargs)
        self.loss_scaler = None
        self._scale_update_param = None
        self.cast_dtype = torch.bfloat16

    def backward(self, loss: torch.Tensor, **kwargs):
        if self.on_cpu:
            OptimWrapper.backward(self, loss, **kwargs)
        else:
            super().backward(loss, **kwargs)

    def step(self, **kwargs):
        if self.on_cpu:
            OptimWrapper.step(self, **kwargs)
        else:
            super().step(**kwargs)

    def state_dict(self) -> dict:
        if self.on_cpu:
            return OptimWrapper.state_dict(self)
        return super().state_dict()

    def load_state_dict(self, state_dict: dict):
        if self.on_cpu:
            # A GPU run's scaler state is meaningless for bf16 on CPU.
            state_dict.pop('loss_scaler', None)
        super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module):
        if not self.on_cpu:
            with super().optim_context(model):
                yield
            return
        with OptimWrapper.optim_context(self, model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
