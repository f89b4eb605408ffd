import warnings

# Known-harmless warnings of the stack, filtered by message (the first
# import of mmcompact must come before mmcv's and mmengine's for those
# raised at import): mmcv-lite lacks compiled ops that no classifier here
# uses, and mmengine imports the deprecated pkg_resources.
warnings.filterwarnings(
    'ignore', message='Fail to import ``MultiScaleDeformableAttention``')
warnings.filterwarnings('ignore', message='pkg_resources is deprecated')

from .datasets import *  # noqa: E402,F401,F403
from .engine import *  # noqa: E402,F401,F403
from .models import *  # noqa: E402,F401,F403
from .version import __version__  # noqa: E402

__all__ = ['__version__']
