import importlib.util
import os.path as osp
from types import ModuleType
from typing import Optional


def import_script(path: str, name: Optional[str] = None) -> ModuleType:
    """Import a Python script that is not part of a package as a module.

    Tools and tests reuse the functions of scripts (mmpretrain's and
    mmcompact's ``tools/*.py``) this way instead of copying them or running
    them in a subprocess. The module is not added to ``sys.modules``.

    Args:
        path (str): The script's file.
        name (str, optional): The module's ``__name__``. Defaults to the
            file name without ``.py``.

    Returns:
        ModuleType: The loaded script (its ``__main__`` block not run).

    Raises:
        FileNotFoundError: if ``path`` is not a file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'script "{path}" not found')
    if name is None:
        name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
