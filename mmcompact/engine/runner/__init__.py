from .checkpoint_safe_globals import (CHECKPOINT_SAFE_GLOBALS,
                                      register_checkpoint_safe_globals)
from .console_runner import ConsoleRunner, quiet_console

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'ConsoleRunner',
    'register_checkpoint_safe_globals', 'quiet_console'
]
