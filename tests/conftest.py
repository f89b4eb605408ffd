import os
import os.path as osp
import sys

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_CIFAR10 = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data',
                          'cifar10')
CIFAR10_CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog',
                   'frog', 'horse', 'ship', 'truck')


def make_cifar_folder(root, per_class=(3, 2), size=32, seed=0):
    """Write a tiny CIFAR10Folder tree: ``root/{train,test}/<class>/*.jpg``.

    Each class has its own mean colour, so a network can learn something.
    """
    rng = np.random.default_rng(seed)
    for split, count in zip(('train', 'test'), per_class):
        for idx, name in enumerate(CIFAR10_CLASSES):
            folder = osp.join(root, split, name)
            os.makedirs(folder, exist_ok=True)
            base = np.array([25 * idx, 255 - 25 * idx, 128], np.float32)
            for i in range(count):
                noise = rng.normal(0, 30, (size, size, 3))
                img = np.clip(base + noise, 0, 255).astype(np.uint8)
                Image.fromarray(img).save(osp.join(folder, f'{i:04d}.jpg'))
    return str(root)


@pytest.fixture(scope='session')
def tiny_cifar(tmp_path_factory):
    """A tiny CIFAR-10-style folder dataset (10 classes, 3+2 images each)."""
    return make_cifar_folder(tmp_path_factory.mktemp('tiny_cifar10'))


@pytest.fixture(scope='session')
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope='session')
def python():
    return sys.executable
