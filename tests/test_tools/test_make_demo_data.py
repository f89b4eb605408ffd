"""The shipped demo set and the script that writes it from its source."""
import glob
import gzip
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from ..conftest import REPO_ROOT
from .conftest import load_script

DEMO = osp.join(REPO_ROOT, 'demo', 'uci_digits')


script = load_script('tools/misc/make_demo_data.py')


def _write_csv(path, rows):
    with gzip.open(path, 'wt') as f:
        for row in rows:
            f.write(','.join(str(int(v)) for v in row) + '\n')
    return str(path)


def _fake_source(tmp_path):
    """A digits.csv.gz of the real shape with random pixels."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 17, (script.NUM_IMAGES, 64))
    labels = np.arange(script.NUM_IMAGES) % 10
    return _write_csv(tmp_path / 'digits.csv.gz',
                      np.column_stack([pixels, labels])), pixels, labels


def test_shipped_set_layout():
    counts = {}
    for split in ('train', 'test'):
        for label in range(10):
            files = glob.glob(osp.join(DEMO, split, str(label), '*.png'))
            counts[split, label] = len(files)
            img = Image.open(files[0])
            assert (img.mode, img.size) == ('L', (8, 8))
    assert sum(v for (s, _), v in counts.items() if s == 'train') == 1201
    assert sum(v for (s, _), v in counts.items() if s == 'test') == 596
    # Every third image of a class is a test image.
    for label in range(10):
        total = counts['train', label] + counts['test', label]
        assert counts['test', label] == total // 3
    assert osp.isfile(osp.join(DEMO, 'README.md'))


def test_writes_the_split_and_scales_pixels(tmp_path):
    path, pixels, labels = _fake_source(tmp_path)
    images, read_labels = script.load_digits_csv(path)
    assert images.shape == (script.NUM_IMAGES, 8, 8)
    np.testing.assert_array_equal(read_labels, labels)
    out = str(tmp_path / 'out')
    counts = script.write_demo_set(images, read_labels, out)
    test = sum(int(n) // 3 for n in np.bincount(labels))
    assert counts == {'train': script.NUM_IMAGES - test, 'test': test}
    # Row 0 is class 0's first image (train), row 20 its third (test).
    first = np.asarray(Image.open(osp.join(out, 'train', '0', '0000.png')))
    np.testing.assert_array_equal(
        first, np.round(pixels[0].reshape(8, 8) * 255 / 16))
    assert osp.isfile(osp.join(out, 'test', '0', '0020.png'))
    # Written again over the first folder, which it replaces whole.
    (tmp_path / 'out' / 'stale.txt').write_text('x')
    script.write_demo_set(images, read_labels, out)
    assert not osp.exists(osp.join(out, 'stale.txt'))
    assert not osp.exists(out + '.tmp')


def test_refuses_another_file(tmp_path):
    path = _write_csv(tmp_path / 'short.csv.gz', np.zeros((5, 65)))
    with pytest.raises(ValueError, match='expected 1797 rows'):
        script.load_digits_csv(path)
    rows = np.zeros((script.NUM_IMAGES, 65))
    rows[:, -1] = np.arange(script.NUM_IMAGES) % 10
    rows[0, 0] = 17
    with pytest.raises(ValueError, match='0..16'):
        script.load_digits_csv(_write_csv(tmp_path / 'bad.csv.gz', rows))
