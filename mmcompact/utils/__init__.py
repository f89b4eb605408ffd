from .atomic_local_backend import (AtomicLocalBackend, atomic_file,
                                   atomic_path, atomic_write)
from .autocast import autocast
from .cfg_options import (check_cfg_options, has_key, load_checked_config,
                          merge_checked_options, top_level_keys)
from .cpu_dist import init_cpu_dist_if_needed
from .image_batch import stack_images
from .mmpretrain_tools import load_mmpretrain_tool
from .model_config import (build_data_preprocessor, default_work_dir,
                           model_config)
from .scripts import import_script
from .strict_checkpoint import load_checkpoint_strictly

__all__ = [
    'AtomicLocalBackend', 'atomic_file', 'atomic_path', 'atomic_write',
    'autocast', 'build_data_preprocessor', 'check_cfg_options',
    'default_work_dir', 'has_key', 'import_script', 'init_cpu_dist_if_needed',
    'load_checked_config', 'load_checkpoint_strictly', 'load_mmpretrain_tool',
    'merge_checked_options', 'model_config', 'stack_images', 'top_level_keys'
]
