from .cifar10_folder import CIFAR10Folder
from .in_memory_custom_dataset import InMemoryCustomDataset
from .mit_indoor67 import MITIndoor67
from .teacher_cache import (dataset_fingerprint, load_teacher_cache,
                            load_teacher_cache_meta, save_teacher_cache)
from .transforms import ReplayTeacherView

__all__ = [
    'CIFAR10Folder', 'InMemoryCustomDataset', 'MITIndoor67',
    'ReplayTeacherView',
    'dataset_fingerprint', 'load_teacher_cache', 'load_teacher_cache_meta',
    'save_teacher_cache'
]
