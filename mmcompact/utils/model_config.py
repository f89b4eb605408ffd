import copy
import os.path as osp

import torch.nn as nn
from mmengine.config import ConfigDict
from mmpretrain.registry import MODELS


def default_work_dir(config: str) -> str:
    """``work_dirs/<config name>``: where ``tools/train.py CONFIG`` writes
    when neither ``--work-dir`` nor the config's ``work_dir`` says.

    Args:
        config (str): Path of a config file.

    Returns:
        str: The default work dir, relative to the working directory.
    """
    return osp.join('work_dirs', osp.splitext(osp.basename(config))[0])


def model_config(cfg) -> ConfigDict:
    """A copy of ``cfg.model`` with the data preprocessor the runner gives it.

    mmengine's ``Runner`` passes a top-level ``data_preprocessor`` to a model
    config that has none (mmpretrain's dataset bases define it there); tools
    that build a model from a config without a runner must do the same.

    Args:
        cfg (Config): A full config.

    Returns:
        ConfigDict: The model config, ``data_preprocessor`` filled in when
        the config has a top-level one.
    """
    model = copy.deepcopy(cfg.model)
    if not model.get('data_preprocessor') and cfg.get('data_preprocessor'):
        model.data_preprocessor = copy.deepcopy(cfg.data_preprocessor)
    return model


def build_data_preprocessor(model: dict) -> nn.Module:
    """A model config's data preprocessor alone (no network, no weights).

    Built as ``ImageClassifier`` builds it: no ``type`` (mmpretrain's
    dataset bases) or no preprocessor at all is a ``ClsDataPreprocessor``.

    Args:
        model (dict): A model config, e.g. :func:`model_config` of a full
            config.

    Returns:
        nn.Module: The preprocessor the model would have.
    """
    return MODELS.build(dict(dict(type='mmpretrain.ClsDataPreprocessor'),
                             **(model.get('data_preprocessor') or {})))
