import os.path as osp
import re

import mmcv
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

import mmcompact  # noqa: F401
from mmcompact.datasets import MITIndoor67

# Deliberately unsorted; 'airport_inside' has no test image, so a class
# list built from TestImages.txt would shift the test labels.
TRAIN = {'kitchen': 3, 'bedroom': 2, 'airport_inside': 2}
TEST = {'kitchen': 1, 'bedroom': 2}
CLASSES = ('airport_inside', 'bedroom', 'kitchen')


def _write_list(path, lines, newline='\n'):
    with open(path, 'w', newline='') as f:
        f.write(newline.join(lines) + newline)


def _make_indoor(root, newline='\n', blank_lines=False):
    """Tiny MIT Indoor-67 in the official layout; returns the root."""
    rng = np.random.default_rng(0)
    lists = {}
    for split, counts in (('Train', TRAIN), ('Test', TEST)):
        lines = []
        for cls, n in counts.items():
            for i in range(n):
                rel = f'{cls}/{split.lower()}_{i}.jpg'
                # Non-square and of varying size, so image_size matters.
                img = rng.integers(0, 256, (20 + 4 * i, 30, 3), np.uint8)
                mmcv.imwrite(img, osp.join(root, 'Images', rel))
                lines.append(rel)
                if blank_lines:
                    lines.append('')
        lists[split] = lines
        _write_list(osp.join(root, f'{split}Images.txt'), lines, newline)
    return str(root)


@pytest.fixture
def indoor(tmp_path):
    return _make_indoor(tmp_path)


def _build(root, split='train', **kwargs):
    return MITIndoor67(data_root=root, split=split, **kwargs)


def _labels(ds):
    return [(osp.relpath(ds.get_data_info(i)['img_path'],
                         osp.join(ds.data_root, 'Images')),
             ds.get_data_info(i)['gt_label']) for i in range(len(ds))]


def test_reads_official_layout(indoor):
    train = _build(indoor, 'train')
    test = _build(indoor, 'test')
    assert (len(train), len(test)) == (7, 3)
    for ds in (train, test):
        assert tuple(ds.CLASSES) == CLASSES
        assert tuple(ds.metainfo['classes']) == CLASSES
    assert _labels(train)[:4] == [('kitchen/train_0.jpg', 2),
                                  ('kitchen/train_1.jpg', 2),
                                  ('kitchen/train_2.jpg', 2),
                                  ('bedroom/train_0.jpg', 1)]
    assert _labels(train)[-1] == ('airport_inside/train_1.jpg', 0)
    # Test split uses the train class indices (kitchen stays 2, not 1).
    assert _labels(test) == [('kitchen/test_0.jpg', 2),
                             ('bedroom/test_0.jpg', 1),
                             ('bedroom/test_1.jpg', 1)]
    info = train.get_data_info(1)
    ref = mmcv.imread(info['img_path'], channel_order='rgb')
    assert info['img'].shape == (24, 30, 3)
    assert np.array_equal(info['img'], ref)


def test_image_size_gives_square_arrays(indoor):
    ds = _build(indoor, 'train', image_size=16)
    shapes = {ds.get_data_info(i)['img'].shape for i in range(len(ds))}
    assert shapes == {(16, 16, 3)}


def test_num_classes(indoor):
    assert len(_build(indoor, 'test', num_classes=3).CLASSES) == 3
    with pytest.raises(ValueError, match=r'has 3 classes.*num_classes=67'):
        _build(indoor, 'train', num_classes=67)


def test_windows_line_endings_and_blank_lines(tmp_path):
    root = _make_indoor(tmp_path, newline='\r\n', blank_lines=True)
    train, test = _build(root, 'train'), _build(root, 'test')
    assert tuple(train.CLASSES) == CLASSES
    assert (len(train), len(test)) == (7, 3)
    assert _labels(test)[0] == ('kitchen/test_0.jpg', 2)


def test_lazy_init_still_knows_classes(indoor):
    ds = _build(indoor, 'test', lazy_init=True)
    assert tuple(ds.metainfo['classes']) == CLASSES
    ds.full_init()
    assert len(ds) == 3


def test_bad_split_and_missing_files(indoor, tmp_path):
    with pytest.raises(ValueError, match='split must be'):
        _build(indoor, 'val')
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError,
                       match=f'no folder "{re.escape(missing)}".*Images/'):
        _build(missing)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError,
                       match=r'no file ".*TrainImages\.txt".*Expected'):
        _build(str(empty), 'test')
    (tmp_path / 'TestImages.txt').unlink()
    with pytest.raises(FileNotFoundError, match=r'TestImages\.txt'):
        _build(indoor, 'test')
    assert len(_build(indoor, 'train')) == 7


def test_listed_image_missing(indoor):
    with open(osp.join(indoor, 'TestImages.txt'), 'a') as f:
        f.write('\nbedroom/ghost.jpg\n')
    with pytest.raises(FileNotFoundError,
                       match=r'ghost\.jpg.*line 5 of .*TestImages\.txt'):
        _build(indoor, 'test')


def test_undecodable_images(indoor):
    path = osp.join(indoor, 'Images', 'bedroom', 'test_1.jpg')
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:  # truncated JPEG
        f.write(data[:len(data) // 2])
    with pytest.raises(ValueError, match=r'Cannot decode.*test_1\.jpg'):
        _build(indoor, 'test')
    with open(path, 'wb') as f:  # not an image at all
        f.write(b'<html>404 Not Found</html>')
    with pytest.raises(ValueError, match=r'Cannot decode.*test_1\.jpg'):
        _build(indoor, 'test')


def test_test_class_not_in_train(indoor):
    mmcv.imwrite(np.zeros((8, 8, 3), np.uint8),
                 osp.join(indoor, 'Images', 'bakery', 'b.jpg'))
    with open(osp.join(indoor, 'TestImages.txt'), 'a') as f:
        f.write('bakery/b.jpg\n')
    with pytest.raises(ValueError,
                       match=r'class "bakery" \(line 4 of .*TestImages\.txt'
                       r'"\) is not in .*TrainImages\.txt'):
        _build(indoor, 'test')


def test_malformed_line_and_empty_list(indoor):
    _write_list(osp.join(indoor, 'TestImages.txt'),
                ['kitchen/test_0.jpg', 'no_class_folder.jpg'])
    with pytest.raises(ValueError,
                       match=r'line 2 of .*TestImages\.txt.*<class>/'):
        _build(indoor, 'test')
    _write_list(osp.join(indoor, 'TrainImages.txt'), ['', '  '])
    with pytest.raises(ValueError, match=r'TrainImages\.txt" lists no'):
        _build(indoor, 'train')


def test_given_classes_must_match(indoor):
    assert len(_build(indoor, metainfo=dict(classes=CLASSES))) == 7
    with pytest.raises(ValueError, match=r'differ.*TrainImages\.txt'):
        _build(indoor, metainfo=dict(classes=('a', 'b', 'c')))
    with pytest.raises(ValueError, match=r'differ.*TrainImages\.txt'):
        _build(indoor, classes=['kitchen', 'bedroom', 'airport_inside'])


def test_build_from_registry(indoor):
    init_default_scope('mmpretrain')
    ds = DATASETS.build(
        dict(type='MITIndoor67', data_root=indoor, split='test',
             pipeline=[]))
    assert isinstance(ds, MITIndoor67) and len(ds) == 3
    assert tuple(ds.CLASSES) == CLASSES
    ds = DATASETS.build(
        dict(type='MITIndoor67', data_root=indoor, split='test',
             pipeline=[dict(type='PackInputs')]))
    assert isinstance(ds, MITIndoor67)
    item = ds[0]
    assert tuple(item['inputs'].shape) == (3, 20, 30)
    assert item['data_samples'].gt_label.tolist() == [2]


def test_mit67_refuses_a_transfer_set(indoor):
    with pytest.raises(ValueError, match='MITIndoor67 reads its image lists '
                       'only: it has no unlabelled transfer set'):
        MITIndoor67(data_root=indoor, unlabeled_prefix='unlabeled')
