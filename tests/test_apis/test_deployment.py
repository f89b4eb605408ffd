import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS

import mmcompact  # noqa: F401
from mmcompact.apis import graph_inputs, load_config
from mmcompact.utils import build_data_preprocessor, model_config

from ..conftest import REPO_ROOT

MEAN, STD = [120.0, 110.0, 100.0], [50.0, 55.0, 60.0]


def _resizer(**kwargs):
    init_default_scope('mmpretrain')
    return MODELS.build(
        dict(type='RandomViewClsDataPreprocessor', size=24, mean=MEAN,
             std=STD, **kwargs))


def test_graph_inputs_resize_commutes_with_normalisation():
    # The model normalises, then resizes; the graph gets resized raw
    # pixels and normalises inside: the same numbers.
    pre = _resizer()
    images = [torch.randint(0, 256, (3, 40, 40), dtype=torch.uint8)
              for _ in range(3)]
    x = graph_inputs(images, pre, (24, 24))
    assert x.shape == (3, 3, 24, 24) and x.dtype == torch.float32
    model_path = pre({'inputs': images})['inputs']
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    torch.testing.assert_close((x - mean) / std, model_path, atol=1e-4,
                               rtol=1e-4)


def test_graph_inputs_flips_bgr_and_checks_size():
    pre = ClsDataPreprocessor(mean=MEAN, std=STD, to_rgb=True)
    bgr = torch.arange(3.0).view(1, 3, 1, 1).expand(2, 3, 8, 8)
    x = graph_inputs(bgr, pre, (8, 8))
    assert x[0, :, 0, 0].tolist() == [2.0, 1.0, 0.0]
    with pytest.raises(ValueError, match='does not resize'):
        graph_inputs(bgr, pre, (4, 4))
    with pytest.raises(ValueError, match=r'graph needs images of one size.*'
                       r'\(3, 9, 8\).*image_size'):
        graph_inputs([torch.zeros(3, 8, 8), torch.zeros(3, 9, 8)], pre,
                     (8, 8))


def test_load_config_refuses_joint_configs_and_builds_preprocessor():
    with pytest.raises(ValueError, match='student config'):
        load_config(f'{REPO_ROOT}/configs/'
                    'joint_effnet-lite0_resnet20_1xb128_cifar10.py')
    with pytest.raises(FileNotFoundError, match='nowhere.py'):
        load_config('nowhere.py')
    # A top-level data_preprocessor without a type (mmpretrain's bases).
    cfg = Config(dict(model=dict(type='ImageClassifier'),
                      data_preprocessor=dict(mean=MEAN, std=STD)))
    pre = build_data_preprocessor(model_config(cfg))
    assert isinstance(pre, ClsDataPreprocessor)
    np.testing.assert_allclose(pre.mean.flatten().numpy(), MEAN)
