"""Strip a checkpoint for deployment: ``python tools/publish_model.py IN OUT``.

mmpretrain's ``tools/model_converters/publish_model.py`` (drops optimizer
and runner state, appends date and hash to the file name), run with
mmcompact imported so that ``weights_only`` loading accepts mmengine
checkpoints.
"""
import mmcompact  # noqa: F401  (registers modules, safe checkpoint loading)
from mmcompact.utils import load_mmpretrain_tool

if __name__ == '__main__':
    load_mmpretrain_tool('model_converters/publish_model.py').main()
