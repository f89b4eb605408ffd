"""The teacher of stage 2 and its cache, in one place.

Resolving and strictly loading the stage-1 teacher
(:func:`build_teacher`), its fingerprint, the cache file and its checks
(:mod:`.cached_teacher`), the runner that computes a cache
(:class:`TeacherViewRunner`) and the views it is computed on
(:func:`crop_views`). Imports ``mmcompact.utils`` only: models, tools and
hooks build on it.
"""
from .build_teacher import (build_teacher, resolve_teacher,
                            teacher_checkpoint_file)
from .cached_teacher import (CachedTeacher, cache_mismatch,
                             check_draws_views, data_mismatch,
                             dataset_fingerprint, dataset_rel_paths,
                             default_cache_dir, load_teacher_cache,
                             load_teacher_cache_meta, save_teacher_cache,
                             teacher_cache_meta)
from .crop_views import VIEW_FIELDS, crop_views
from .fuse_frozen_bn import fuse_frozen_bn
from .teacher_fingerprint import checkpoint_fingerprint, teacher_fingerprint
from .teacher_view_runner import TeacherViewRunner

__all__ = [
    'CachedTeacher', 'TeacherViewRunner', 'VIEW_FIELDS', 'build_teacher',
    'cache_mismatch', 'check_draws_views', 'checkpoint_fingerprint',
    'data_mismatch', 'default_cache_dir',
    'crop_views', 'dataset_fingerprint', 'dataset_rel_paths',
    'fuse_frozen_bn', 'load_teacher_cache', 'load_teacher_cache_meta',
    'resolve_teacher', 'save_teacher_cache', 'teacher_cache_meta',
    'teacher_checkpoint_file', 'teacher_fingerprint'
]
