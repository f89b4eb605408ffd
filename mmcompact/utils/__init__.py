from .mmpretrain_tools import load_mmpretrain_tool

__all__ = ['load_mmpretrain_tool']
