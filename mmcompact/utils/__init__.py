from .mmpretrain_tools import load_mmpretrain_tool
from .model_config import model_config

__all__ = ['load_mmpretrain_tool', 'model_config']
