"""Write the demo image set ``demo/uci_digits`` from scikit-learn's copy.

    pip install scikit-learn
    python tools/misc/make_demo_data.py [--out demo/uci_digits]

The source is ``sklearn/datasets/data/digits.csv.gz`` as shipped in the
scikit-learn wheel: the 1,797 8x8 images (17 grey levels) of the test part
of the UCI "Optical Recognition of Handwritten Digits" data set (see
``demo/uci_digits/README.md`` for source and licence). The file is located
through the package's metadata, so scikit-learn is not imported (it needs
no SciPy here); ``--csv`` reads another copy of the same file.

Every image is written as an 8x8 8-bit grey PNG (``round(v * 255 / 16)``)
to ``<out>/{train,test}/<digit>/<row>.png``, ``<row>`` its row in the CSV.
Per class, every third image in CSV order goes to ``test``: a fixed,
stratified two-thirds / one-third split that needs no random generator.
The folder is replaced as a whole (written next to it, then renamed).
"""
import argparse
import gzip
import importlib.metadata
import os
import os.path as osp
import shutil

import numpy as np
from PIL import Image

SOURCE = 'sklearn/datasets/data/digits.csv.gz'
NUM_IMAGES, NUM_CLASSES, SIDE, MAX_LEVEL = 1797, 10, 8, 16
TEST_EVERY = 3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='demo/uci_digits',
                        help='output folder (replaced)')
    parser.add_argument('--csv', default=None,
                        help=f'digits.csv.gz (default: {SOURCE} of the '
                        'installed scikit-learn)')
    return parser.parse_args()


def installed_csv() -> str:
    """Path of ``digits.csv.gz`` in the installed scikit-learn wheel."""
    try:
        dist = importlib.metadata.distribution('scikit-learn')
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            'scikit-learn is not installed: pip install scikit-learn, '
            'or pass --csv <path to digits.csv.gz>') from None
    path = str(dist.locate_file(SOURCE))
    if not osp.isfile(path):
        raise FileNotFoundError(f'scikit-learn {dist.version} has no '
                                f'"{path}"; pass --csv')
    return path


def load_digits_csv(path: str):
    """The images ``(N, 8, 8)`` uint8 in 0..16 and labels ``(N,)``.

    Args:
        path (str): ``digits.csv.gz``: one image a row, 64 pixel values
            and the label.

    Returns:
        tuple[np.ndarray, np.ndarray]: Images and labels.
    """
    with gzip.open(path, 'rt') as f:
        data = np.loadtxt(f, delimiter=',', dtype=np.int64)
    if data.shape != (NUM_IMAGES, SIDE * SIDE + 1):
        raise ValueError(f'"{path}": expected {NUM_IMAGES} rows of '
                         f'{SIDE * SIDE + 1} values, got {data.shape}')
    pixels, labels = data[:, :-1], data[:, -1]
    if pixels.min() < 0 or pixels.max() > MAX_LEVEL or not set(
            labels.tolist()) == set(range(NUM_CLASSES)):
        raise ValueError(f'"{path}": pixels must be in 0..{MAX_LEVEL} and '
                         f'labels 0..{NUM_CLASSES - 1}')
    return pixels.reshape(-1, SIDE, SIDE).astype(np.uint8), labels


def write_demo_set(images: np.ndarray, labels: np.ndarray, out: str) -> dict:
    """Write the class folders; returns ``{split: number of images}``."""
    tmp = f'{out.rstrip(os.sep)}.tmp'
    if osp.exists(tmp):
        shutil.rmtree(tmp)
    counts = {'train': 0, 'test': 0}
    scale = 255 / MAX_LEVEL
    for label in range(NUM_CLASSES):
        rows = np.flatnonzero(labels == label)
        for k, row in enumerate(rows):
            split = 'test' if k % TEST_EVERY == TEST_EVERY - 1 else 'train'
            folder = osp.join(tmp, split, str(label))
            os.makedirs(folder, exist_ok=True)
            pixels = np.round(images[row] * scale).astype(np.uint8)
            Image.fromarray(pixels, mode='L').save(
                osp.join(folder, f'{row:04d}.png'), optimize=True)
            counts[split] += 1
    # Keep the README (source and licence) of an existing folder.
    readme = osp.join(out, 'README.md')
    if osp.isfile(readme):
        shutil.copy(readme, osp.join(tmp, 'README.md'))
    if osp.exists(out):
        shutil.rmtree(out)
    os.replace(tmp, out)
    return counts


def main():
    args = parse_args()
    path = args.csv or installed_csv()
    images, labels = load_digits_csv(path)
    counts = write_demo_set(images, labels, args.out)
    print(f'{args.out}: {counts["train"]} train and {counts["test"]} test '
          f'images, {NUM_CLASSES} classes, from {path}')


if __name__ == '__main__':
    main()
