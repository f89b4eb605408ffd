from .cifar10_folder import CIFAR10Folder
from .in_memory_custom_dataset import InMemoryCustomDataset
from .teacher_cache import (apply_view, crop_settings, dataset_fingerprint,
                            load_teacher_cache, load_teacher_cache_meta,
                            sample_views,
                            save_teacher_cache, teacher_fingerprint)
from .transforms import ReplayTeacherView

__all__ = [
    'CIFAR10Folder', 'InMemoryCustomDataset', 'ReplayTeacherView',
    'apply_view', 'crop_settings', 'dataset_fingerprint', 'load_teacher_cache',
    'load_teacher_cache_meta',
    'sample_views', 'save_teacher_cache', 'teacher_fingerprint'
]
