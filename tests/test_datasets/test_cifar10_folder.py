import os
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS
from PIL import Image

import mmcompact  # noqa: F401

from ..conftest import make_cifar_folder


def _build(**kwargs):
    init_default_scope('mmpretrain')
    return DATASETS.build(dict(type='CIFAR10Folder', **kwargs))


def test_reads_folders_in_memory_as_rgb(tiny_cifar):
    ds = _build(data_root=tiny_cifar, split='train', pipeline=[])
    assert len(ds) == 30
    assert ds.metainfo['classes'][0] == 'airplane'
    info = ds.get_data_info(4)
    assert info['gt_label'] == 1  # sorted folders: 3 airplanes, then cars
    ref = np.array(Image.open(info['img_path']).convert('RGB'))
    assert info['img'].shape == (32, 32, 3)
    assert np.array_equal(info['img'], ref)  # decoded once, RGB
    assert len(_build(data_root=tiny_cifar, split='test', pipeline=[])) == 20


def test_errors_name_the_cause(tiny_cifar, tmp_path):
    with pytest.raises(FileNotFoundError, match='no folder'):
        _build(data_root=str(tmp_path), split='train')
    with pytest.raises(ValueError, match='split'):
        _build(data_root=tiny_cifar, split='val')
    # A folder set that is not CIFAR-10.
    for name in ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']:
        os.makedirs(tmp_path / 'train' / name)
        Image.new('RGB', (32, 32)).save(tmp_path / 'train' / name / '0.jpg')
    with pytest.raises(ValueError, match="expected \\('airplane'"):
        _build(data_root=str(tmp_path), split='train')
    (tmp_path / 'train' / 'a' / 'bad.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(ValueError, match=r'bad\.jpg'):
        DATASETS.build(dict(type='InMemoryCustomDataset',
                            data_root=str(tmp_path), data_prefix='train'))


def test_same_pipeline_output_as_cifar10_style(tiny_cifar):
    pipeline = [dict(type='PackInputs')]
    ds = _build(data_root=tiny_cifar, split='test', pipeline=pipeline)
    item = ds[0]
    assert tuple(item['inputs'].shape) == (3, 32, 32)
    assert osp.basename(item['data_samples'].img_path) == '0000.jpg'


def test_images_of_another_size_are_refused_unless_resized(tmp_path):
    root = make_cifar_folder(tmp_path, per_class=(1, 1))
    small = osp.join(root, 'train', 'dog', '0000.jpg')
    Image.new('RGB', (30, 20)).save(small)
    with pytest.raises(ValueError, match=r'1 of 10 images are not 32x32 '
                       rf'\("{re.escape(small)}" 20x30\).*image_size=32'):
        _build(data_root=root, split='train', pipeline=[])
    resized = _build(data_root=root, split='train', pipeline=[],
                     image_size=32)
    assert {resized.get_data_info(i)['img'].shape
            for i in range(len(resized))} == {(32, 32, 3)}
