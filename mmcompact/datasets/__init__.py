# The teacher cache format lives in mmcompact.utils (models check caches
# too); its functions stay importable from here, next to ReplayTeacherView.
from mmcompact.utils import (dataset_fingerprint, load_teacher_cache,
                             load_teacher_cache_meta, save_teacher_cache)
from .cifar10_folder import CIFAR10Folder
from .in_memory_custom_dataset import InMemoryCustomDataset
from .mit_indoor67 import MITIndoor67
from .transforms import ReplayTeacherView

__all__ = [
    'CIFAR10Folder', 'InMemoryCustomDataset', 'MITIndoor67',
    'ReplayTeacherView',
    'dataset_fingerprint', 'load_teacher_cache', 'load_teacher_cache_meta',
    'save_teacher_cache'
]
