import io
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger
from mmpretrain.registry import DATASETS
from PIL import Image

import mmcompact  # noqa: F401
from mmcompact.datasets import UNLABELED, InMemoryCustomDataset

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def _stripes(height, width, vertical):
    """Red, green, blue bands of 1/8, 3/4, 1/8 of the longer side.

    A centre square of a 2:1 image keeps green only; a squashing resize
    would keep red and blue too.
    """
    img = np.zeros((height, width, 3), np.uint8)
    img[...] = GREEN
    if vertical:  # bands along the width
        img[:, :width // 8] = RED
        img[:, width - width // 8:] = BLUE
    else:
        img[:height // 8] = RED
        img[height - height // 8:] = BLUE
    return img


def _save(path, img, **kwargs):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(img).save(path, **kwargs)


def _build(root, **kwargs):
    return DATASETS.build(dict(type='InMemoryCustomDataset', data_root=root,
                               pipeline=[], **kwargs))


def _images(ds):
    return {osp.relpath(ds.get_data_info(i)['img_path'], ds.data_root):
            ds.get_data_info(i)['img'] for i in range(len(ds))}


def test_image_size_makes_centre_squares(tmp_path):
    # Wide JPEG (quality 100: bands stay clean) and tall PNG.
    _save(str(tmp_path / 'a' / 'wide.jpg'), _stripes(40, 80, True),
          quality=100)
    _save(str(tmp_path / 'a' / 'tall.png'), _stripes(64, 32, False))
    # Smaller than image_size: enlarged.
    _save(str(tmp_path / 'b' / 'small.png'), _stripes(10, 20, True))
    ds = _build(str(tmp_path), image_size=16)
    images = _images(ds)
    assert len(images) == 3
    for name, img in images.items():
        assert img.shape == (16, 16, 3) and img.dtype == np.uint8, name
        assert img.flags['C_CONTIGUOUS']
        # Only the green middle band is left (the crop is centred).
        assert np.abs(img.astype(int) - GREEN).max() <= 12, name
    info = ds.get_data_info(0)
    assert info['img_shape'] == info['ori_shape'] == (16, 16)
    # Without image_size, images keep their own size.
    sizes = {k: v.shape for k, v in _images(_build(str(tmp_path))).items()}
    assert sizes == {'a/wide.jpg': (40, 80, 3), 'a/tall.png': (64, 32, 3),
                     'b/small.png': (10, 20, 3)}


def test_other_image_modes_load_as_8_bit_rgb(tmp_path):
    gray = np.full((12, 10), 77, np.uint8)
    _save(str(tmp_path / 'a' / 'gray.png'), gray)
    rgba = np.zeros((12, 10, 4), np.uint8)
    rgba[...] = (200, 100, 30, 50)
    _save(str(tmp_path / 'a' / 'rgba.png'), rgba)
    # 16-bit grayscale (PIL) and 16-bit colour (OpenCV writes BGR).
    _save(str(tmp_path / 'b' / 'gray16.png'),
          np.full((12, 10), 0x8000, np.uint16))
    bgr16 = np.zeros((12, 10, 3), np.uint16)
    bgr16[...] = (0x1000, 0x0000, 0xFF00)
    cv2.imwrite(str(tmp_path / 'b' / 'rgb16.png'), bgr16)
    Image.new('CMYK', (10, 12), (0, 255, 255, 0)).save(
        str(tmp_path / 'b' / 'cmyk.jpg'), quality=100)
    # Palette, grey + alpha and 1-bit images.
    os.makedirs(tmp_path / 'c')
    Image.new('RGB', (10, 12), BLUE).convert('P').save(
        str(tmp_path / 'c' / 'palette.png'))
    Image.new('LA', (10, 12), (90, 10)).save(str(tmp_path / 'c' / 'la.png'))
    Image.new('1', (10, 12), 1).save(str(tmp_path / 'c' / 'bits.png'))
    images = _images(_build(str(tmp_path)))
    assert len(images) == 8
    for name, img in images.items():
        assert img.shape == (12, 10, 3) and img.dtype == np.uint8, name
    assert (images['c/palette.png'] == BLUE).all()
    assert (images['c/la.png'] == 90).all()
    assert (images['c/bits.png'] == 255).all()
    assert (images['a/gray.png'] == 77).all()
    assert (images['a/rgba.png'] == (200, 100, 30)).all()
    assert (images['b/gray16.png'] == 128).all()
    assert (images['b/rgb16.png'] == (255, 0, 16)).all()
    assert np.abs(images['b/cmyk.jpg'].astype(int) - RED).max() <= 3


def test_num_classes_mismatch_names_both_numbers(tmp_path):
    for name in ('cat', 'dog', 'fox'):
        _save(str(tmp_path / 'train' / name / '0.png'),
              np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r"has 3 classes \('cat', 'dog', "
                       r"'fox'\), but num_classes=4\. Set NUM_CLASSES"):
        _build(str(tmp_path), data_prefix='train', num_classes=4)
    assert len(_build(str(tmp_path), data_prefix='train',
                      num_classes=3)) == 3


def test_bad_files_and_settings_are_refused(tmp_path):
    _save(str(tmp_path / 'a' / 'good.png'), np.zeros((4, 4, 3), np.uint8))
    (tmp_path / 'a' / 'broken.jpg').write_bytes(b'not a jpeg at all')
    with pytest.raises(ValueError,
                       match=r'Cannot decode image ".*a/broken\.jpg"'):
        _build(str(tmp_path))
    with pytest.raises(ValueError, match='image_size must be >= 1'):
        InMemoryCustomDataset(data_root=str(tmp_path), image_size=0)


def test_undecodable_files_are_listed_in_one_error(tmp_path):
    _save(str(tmp_path / 'a' / 'good.png'), np.zeros((4, 4, 3), np.uint8))
    whole = io.BytesIO()
    Image.new('RGB', (16, 16), GREEN).save(whole, 'JPEG')
    (tmp_path / 'a' / 'cut.jpg').write_bytes(whole.getvalue()[:300])
    (tmp_path / 'b').mkdir()
    (tmp_path / 'b' / 'empty.png').write_bytes(b'')
    (tmp_path / 'b' / 'html.jpg').write_text('<html></html>')
    with pytest.raises(ValueError) as err:
        _build(str(tmp_path))
    lines = str(err.value).splitlines()
    assert lines[0] == ('InMemoryCustomDataset: 3 of 4 images cannot be '
                        'decoded:')
    assert re.match(r'  Cannot decode image ".*a/cut\.jpg": a JPEG file cut '
                    r'short \(Pillow: ', lines[1])
    assert re.match(r'  Cannot decode image ".*b/empty\.png": an empty file',
                    lines[2])
    assert re.match(r'  Cannot decode image ".*b/html\.jpg": OpenCV does not '
                    'read it', lines[3])
    # Data after the end of a JPEG (phones append a video) is no damage.
    for bad in ('a/cut.jpg', 'b/empty.png', 'b/html.jpg'):
        (tmp_path / bad).unlink()
    (tmp_path / 'b' / 'video.jpg').write_bytes(whole.getvalue() + b'mp4' * 99)
    images = _images(_build(str(tmp_path)))
    assert np.abs(images['b/video.jpg'].astype(int) - GREEN).max() <= 3


def test_folder_mistakes_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'no folder ".*missing/?"'):
        _build(str(tmp_path / 'missing'))
    _save(str(tmp_path / 'loose.png'), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r'has no class folders \(1 files '
                       r'directly in it\)'):
        _build(str(tmp_path))
    _save(str(tmp_path / 'a' / '0.png'), np.zeros((4, 4, 3), np.uint8))
    (tmp_path / 'b').mkdir()
    (tmp_path / 'b' / 'notes.txt').write_text('no images yet')
    with pytest.raises(ValueError, match=r'the class folders ".*/b" hold no '
                       r'images \(extensions \.bmp, \.jpeg'):
        _build(str(tmp_path))


def test_files_left_out_are_reported(tmp_path):
    root = tmp_path / 'data'
    _save(str(root / 'a' / '0.png'), np.zeros((4, 4, 3), np.uint8))
    _save(str(root / 'loose.png'), np.zeros((4, 4, 3), np.uint8))
    (root / 'a' / 'notes.txt').write_text('')
    (root / 'a' / 'photo.heic').write_bytes(b'')
    (root / 'a' / 'clip.GIF').write_bytes(b'')
    log = tmp_path / 'log.txt'
    MMLogger.get_instance('test_files_left_out', log_file=str(log))
    assert len(_build(str(root))) == 1
    assert ('InMemoryCustomDataset: skipped 1 outside the class folders '
            '("loose.png") and 3 without an image extension (.gif: 1, '
            '.heic: 1, .txt: 1, e.g. "clip.GIF")') in log.read_text()
    assert ('GIF (often animated) and HEIC (iPhone photos) files are not '
            'read: convert them to JPEG or PNG') in log.read_text()


def test_webp_images_are_read(tmp_path):
    """Phones and browsers save WebP: read like JPEG and PNG."""
    root = tmp_path / 'data'
    img = np.zeros((6, 8, 3), np.uint8)
    img[..., 0] = 200  # red in RGB order
    _save(str(root / 'a' / '0.png'), img)
    Image.fromarray(img).save(root / 'a' / '1.webp', lossless=True)
    dataset = _build(str(root))
    assert len(dataset) == 2
    np.testing.assert_array_equal(dataset.get_data_info(1)['img'], img)


def test_classes_from_another_split(tmp_path):
    for split, names in (('train', 'abc'), ('test', 'abc'), ('val', 'abd')):
        for name in names:
            _save(str(tmp_path / split / name / '0.png'),
                  np.zeros((4, 4, 3), np.uint8))
    test = _build(str(tmp_path), data_prefix='test', classes_from='train')
    assert test.CLASSES == ('a', 'b', 'c')
    with pytest.raises(ValueError, match=r'the class folders of ".*val" '
                       r'differ from those of ".*train" \(not in train: "d"; '
                       r'missing here: "c"\)\. A label is the index'):
        _build(str(tmp_path), data_prefix='val', classes_from='train')


def test_unlabelled_images_follow_the_labelled_ones(tmp_path):
    """Any depth, folder names not read as labels, label -1, sorted."""
    for rel in ('train/a/0.png', 'train/b/0.png', 'unlabeled/b/x.png',
                'unlabeled/deep/er/y.jpg', 'unlabeled/z.png'):
        _save(str(tmp_path / rel), _stripes(8, 8, True))
    (tmp_path / 'unlabeled' / 'notes.txt').write_text('not an image')
    ds = _build(str(tmp_path), data_prefix='train', num_classes=2,
                unlabeled_prefix='unlabeled')
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [(osp.relpath(i['img_path'], str(tmp_path)), i['gt_label'])
            for i in infos] == [
                ('train/a/0.png', 0), ('train/b/0.png', 1),
                ('unlabeled/b/x.png', UNLABELED),
                ('unlabeled/deep/er/y.jpg', UNLABELED),
                ('unlabeled/z.png', UNLABELED)]
    assert ds.CLASSES == ('a', 'b') and UNLABELED == -1
    assert all(i['img'].shape == (8, 8, 3) for i in infos)
    # No folder: no transfer set.
    assert len(_build(str(tmp_path), data_prefix='train',
                      unlabeled_prefix='none_here')) == 2


def test_an_empty_unlabelled_folder_is_refused(tmp_path):
    _save(str(tmp_path / 'train' / 'a' / '0.png'), _stripes(8, 8, True))
    (tmp_path / 'unlabeled' / 'sub').mkdir(parents=True)
    (tmp_path / 'unlabeled' / 'sub' / 'readme.txt').write_text('x')
    with pytest.raises(ValueError, match=r'unlabelled folder ".*unlabeled" '
                       r'\(unlabeled_prefix\) holds no images'):
        _build(str(tmp_path), data_prefix='train',
               unlabeled_prefix='unlabeled')
    _save(str(tmp_path / 'unlabeled' / 'bad.png'), _stripes(8, 8, True))
    (tmp_path / 'unlabeled' / 'bad.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r'1 of 2 images cannot be decoded'
                       r':\n  Cannot decode image ".*unlabeled/bad\.png"'):
        _build(str(tmp_path), data_prefix='train',
               unlabeled_prefix='unlabeled')
