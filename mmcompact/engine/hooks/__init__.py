from .channels_last_hook import ChannelsLastHook
from .teacher_eval_hook import TeacherEvalHook

__all__ = ['ChannelsLastHook', 'TeacherEvalHook']
