import os.path as osp
from types import ModuleType

import mmpretrain

from .scripts import import_script


def load_mmpretrain_tool(name: str) -> ModuleType:
    """Import one of mmpretrain's ``tools/*.py`` scripts as a module.

    mmpretrain ships its ``tools`` inside the package (``mmpretrain/.mim``)
    but not as an importable module. Loading them lets mmcompact's tools
    reuse their argument parsing and config merging instead of copying them.

    Args:
        name (str): Script path relative to ``tools``, e.g. ``'train.py'``.

    Returns:
        ModuleType: The loaded script (its ``__main__`` block not run).
    """
    path = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools', name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'mmpretrain tool "{path}" not found; install mmpretrain from '
            'a wheel (pip/mim install mmpretrain) so that its tools ship.')
    return import_script(path, f'mmpretrain_tools_{osp.splitext(name)[0]}')
