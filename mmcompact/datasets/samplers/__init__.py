from .min_length_sampler import MinLengthSampler
from .transfer_set_sampler import TransferSetSampler

__all__ = ['MinLengthSampler', 'TransferSetSampler']
