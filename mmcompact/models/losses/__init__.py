from .soft_target_loss import SoftTargetLoss

__all__ = ['SoftTargetLoss']
