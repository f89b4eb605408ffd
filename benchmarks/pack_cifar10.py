"""Pack the CIFAR-10 class folders (JPEG copy) into one compressed ``.npz``.

The JPEG bytes are stored as they are (no re-encoding), concatenated per
split, with offsets and labels, so that the whole dataset travels as one
file (about 18 MB: ``np.savez_compressed`` removes the JPEG headers that
every one of the tiny files repeats) and decodes to exactly the images the
project's ``CIFAR10Folder`` dataset reads. Class index = position of the class
folder in sorted order; files are taken in sorted order within a class.

Layout of the output, for ``split`` in ``train`` and ``test``::

    classes              (10,) str    sorted class folder names
    {split}_bytes        (B,) uint8   all JPEG files of the split, concatenated
    {split}_offsets      (N + 1,) int64  image i is bytes[off[i]:off[i + 1]]
    {split}_labels       (N,) int64   class index of image i

Usage::

    python benchmarks/pack_cifar10.py /path/to/cifar10 out/cifar10_jpeg.npz

where ``/path/to/cifar10`` holds ``{train,test}/<class>/*.jpg``.
:func:`load_packed` reads the result back.
"""
import argparse
import os
import os.path as osp

import numpy as np

SPLITS = ('train', 'test')


def pack_split(root: str, split: str, classes: list) -> dict:
    """Read one split's class folders into concatenated bytes.

    Args:
        root (str): Dataset root holding ``<split>/<class>/*.jpg``.
        split (str): ``'train'`` or ``'test'``.
        classes (list[str]): Sorted class names; index = label.

    Returns:
        dict: ``{split}_bytes``, ``{split}_offsets`` and ``{split}_labels``.
    """
    chunks, offsets, labels = [], [0], []
    for label, name in enumerate(classes):
        folder = osp.join(root, split, name)
        for fname in sorted(os.listdir(folder)):
            if not fname.lower().endswith(('.jpg', '.jpeg', '.png')):
                continue
            with open(osp.join(folder, fname), 'rb') as f:
                data = f.read()
            chunks.append(np.frombuffer(data, dtype=np.uint8))
            offsets.append(offsets[-1] + len(data))
            labels.append(label)
    return {
        f'{split}_bytes': np.concatenate(chunks),
        f'{split}_offsets': np.asarray(offsets, dtype=np.int64),
        f'{split}_labels': np.asarray(labels, dtype=np.int64),
    }


def load_packed(path: str, split: str) -> tuple:
    """Return the JPEG byte strings and labels of one packed split.

    Args:
        path (str): The ``.npz`` written by this script.
        split (str): ``'train'`` or ``'test'``.

    Returns:
        tuple[list[bytes], np.ndarray]: Encoded images and their labels.
    """
    with np.load(path) as packed:
        data = packed[f'{split}_bytes']
        off = packed[f'{split}_offsets']
        labels = packed[f'{split}_labels']
    blobs = [data[off[i]:off[i + 1]].tobytes() for i in range(len(labels))]
    return blobs, labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='folder with {train,test}/<class>/')
    parser.add_argument('out', help='output .npz')
    args = parser.parse_args()

    classes = sorted(
        d for d in os.listdir(osp.join(args.root, 'train'))
        if osp.isdir(osp.join(args.root, 'train', d)))
    arrays = dict(classes=np.asarray(classes))
    for split in SPLITS:
        arrays.update(pack_split(args.root, split, classes))
        n = len(arrays[f'{split}_labels'])
        print(f'{split}: {n} images, '
              f'{arrays[f"{split}_bytes"].nbytes} JPEG bytes')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f'wrote {args.out}: {osp.getsize(args.out)} bytes, '
          f'classes {classes}')


if __name__ == '__main__':
    main()
