from .replay_teacher_view import ReplayTeacherView

__all__ = ['ReplayTeacherView']
