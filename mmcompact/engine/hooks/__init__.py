from .atomic_checkpoint_hook import AtomicCheckpointHook
from .channels_last_hook import ChannelsLastHook
from .compile_hook import CompileHook
from .teacher_eval_hook import TeacherEvalHook

__all__ = [
    'AtomicCheckpointHook', 'ChannelsLastHook', 'CompileHook',
    'TeacherEvalHook'
]
