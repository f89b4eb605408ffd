from .auto_amp_optim_wrapper import AutoAmpOptimWrapper

__all__ = ['AutoAmpOptimWrapper']
