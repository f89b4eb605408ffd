from .autocast import autocast
from .atomic_local_backend import (AtomicLocalBackend, atomic_file,
                                   atomic_path, atomic_write)
from .cfg_options import check_cfg_options, has_key, load_checked_config
from .cpu_dist import init_cpu_dist_if_needed
from .image_batch import stack_images
from .mmpretrain_tools import load_mmpretrain_tool
from .model_config import build_data_preprocessor, model_config
from .scripts import import_script
from .strict_checkpoint import load_checkpoint_strictly

__all__ = [
    'load_mmpretrain_tool', 'model_config', 'import_script', 'stack_images',
    'init_cpu_dist_if_needed', 'AtomicLocalBackend', 'atomic_file',
    'atomic_path', 'atomic_write', 'check_cfg_options', 'has_key',
    'load_checked_config',
    'load_checkpoint_strictly', 'autocast', 'build_data_preprocessor'
]
