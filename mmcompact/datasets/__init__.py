from .cifar10_folder import CIFAR10Folder
from .in_memory_custom_dataset import InMemoryCustomDataset

__all__ = ['CIFAR10Folder', 'InMemoryCustomDataset']
