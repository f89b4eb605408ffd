"""Test with mmpretrain's runner: ``python tools/test.py CONFIG CHECKPOINT``.

Same arguments as mmpretrain's ``tools/test.py`` (``--amp`` runs bf16
autocast on a CPU). A joint-learning checkpoint holds the student only, so
it can be tested with the joint config or with the student config
(``configs/compact_*.py``); the latter needs no teacher checkpoint.
"""
import mmcompact  # noqa: F401  (registers modules, safe checkpoint loading)
from mmcompact.utils import load_mmpretrain_tool

if __name__ == '__main__':
    load_mmpretrain_tool('test.py').main()
