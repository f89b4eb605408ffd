import copy

from mmengine.config import ConfigDict


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
