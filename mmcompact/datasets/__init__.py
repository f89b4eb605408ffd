from .cifar10_folder import CIFAR10Folder
from .in_memory_custom_dataset import UNLABELED, InMemoryCustomDataset
from .mit_indoor67 import MITIndoor67
from .samplers import MinLengthSampler, TransferSetSampler

__all__ = [
    'CIFAR10Folder', 'InMemoryCustomDataset', 'MITIndoor67', 'UNLABELED',
    'MinLengthSampler', 'TransferSetSampler'
]
