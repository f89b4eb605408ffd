from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403
from .runner import register_checkpoint_safe_globals

# mmengine resume checkpoints must load with torch's weights_only=True.
register_checkpoint_safe_globals()
