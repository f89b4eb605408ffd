from .atomic_checkpoint_hook import AtomicCheckpointHook
from .channels_last_hook import ChannelsLastHook
from .compile_hook import CompileHook
from .console_progress_hook import ConsoleProgressHook
from .linear_probe_hook import LinearProbeHook
from .random_state_hook import (RandomStateHook, get_random_states,
                                set_random_states)
from .teacher_cache_check_hook import TeacherCacheCheckHook
from .teacher_eval_hook import TeacherEvalHook

__all__ = [
    'AtomicCheckpointHook', 'ChannelsLastHook', 'CompileHook',
    'ConsoleProgressHook', 'LinearProbeHook', 'RandomStateHook',
    'TeacherCacheCheckHook', 'TeacherEvalHook', 'get_random_states',
    'set_random_states'
]
