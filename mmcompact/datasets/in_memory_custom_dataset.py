import inspect
import io
import os.path as osp
from collections import Counter
from typing import List, Optional, Sequence

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.datasets import CustomDataset
from mmpretrain.datasets.custom import find_folders, get_samples
from mmpretrain.registry import DATASETS
from PIL import Image


#: How many bad files one error message lists.
MAX_LISTED = 10
#: mmpretrain's image extensions plus WebP, which phones and browsers save.
IMG_EXTENSIONS = inspect.signature(
    CustomDataset.__init__).parameters['extensions'].default + ('.webp', )
#: The label of an image of the unlabelled transfer set (``unlabeled_prefix``).
UNLABELED = -1

#: Kinds a folder of photos often holds that are not read, and what to do.
NOT_READ = {
    '.gif': 'GIF (often animated)',
    '.heic': 'HEIC (iPhone photos)',
    '.heif': 'HEIF',
}


def _listed(items: List[str]) -> str:
    shown = ', '.join(f'"{i}"' for i in items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return shown + (f' and {more} more' if more > 0 else '')


@DATASETS.register_module()
class InMemoryCustomDataset(CustomDataset):
    """A :class:`CustomDataset` whose images are decoded once and kept.

    Small-image sets (CIFAR-style 32x32 JPEG folders, 100 px scene photos)
    cost more to decode every epoch than to train a compact CNN on. This
    dataset decodes every image once at initialisation and hands the
    pipeline an ``img`` array, exactly like mmpretrain's ``CIFAR10`` does,
    so the same pipeline (no ``LoadImageFromFile``) serves both.

    With ``image_size`` every image is also resized once, shorter side to
    ``image_size``, and centre-cropped to a square: photos of any size and
    aspect then stack into one batch, so crops and flips can run on the
    whole batch (``RandomViewClsDataPreprocessor``); images smaller than
    ``image_size`` are enlarged (bilinear). Grayscale, palette, RGBA (alpha
    dropped), 16-bit and CMYK files are converted to 8-bit 3-channel
    images, in RGB order as mmpretrain's CIFAR datasets hand them out.
    Memory: ``H*W*3`` bytes per image (3 KiB at 32x32, 48 KiB at 128x128).

    What cannot be a training set is refused when the dataset is built,
    before training starts, with the files to fix: a missing folder, no or
    empty class folders, class folders that differ from ``classes_from``,
    and images that cannot be decoded (all of them in one error). Files
    without an image extension are skipped with a warning, which says how
    to convert GIF and HEIC files (not read: a GIF is often an animation,
    and neither OpenCV nor Pillow decodes HEIC without a plugin).

    Args:
        image_size (int, optional): Side of the stored square images.
            Defaults to None (images kept at their own size).
        num_classes (int, optional): Expected number of classes; a data set
            with another number is refused at start-up. Defaults to None.
        classes_from (str, optional): Folder, under ``data_root`` as
            ``data_prefix`` is, whose class folders this split must have as
            well, e.g. ``'train'`` for the test split: the label of a class
            is the index of its folder name, so both splits need the same
            names. Defaults to None (no check).
        extensions (Sequence[str]): File extensions read as images.
            Defaults to mmpretrain's and ``.webp``.
        unlabeled_prefix (str, optional): Folder, under ``data_root`` as
            ``data_prefix`` is, of unlabelled images (any files, any depth;
            folder names are not read as labels), appended to the data set
            with the label :data:`UNLABELED` (-1): the transfer set a joint
            student distils on (soft targets only). A folder that does not
            exist is no transfer set; one that holds no image is an error.
            Defaults to None.
        **kwargs: Passed to :class:`CustomDataset`.
    """

    def __init__(self,
                 *args,
                 image_size: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 classes_from: Optional[str] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 unlabeled_prefix: Optional[str] = None,
                 **kwargs):
        if image_size is not None and image_size < 1:
            raise ValueError(f'image_size must be >= 1, got {image_size}')
        self.image_size = image_size
        self.num_classes = num_classes
        self.classes_from = classes_from
        self.unlabeled_prefix = unlabeled_prefix
        self._images: List[np.ndarray] = []
        super().__init__(*args, extensions=extensions, **kwargs)

    def _find_samples(self) -> list:
        """``(path in the class folder, label)`` of every image.

        mmpretrain's folder scan, with the mistakes it lets through (no
        folder, images outside class folders, an empty class folder,
        another split's classes) refused or reported.
        """
        if not self.with_label:  # no classes: any file under the folder
            return super()._find_samples()
        name, root = type(self).__name__, self.img_prefix
        if not fileio.isdir(root):
            raise FileNotFoundError(
                f'{name}: no folder "{root}". Expected class folders '
                '<data_root>/<split>/<class>/<image>: set data_root (the '
                'DATA_ROOT environment variable for the scene configs) to '
                'the folder that holds train/ and test/.')
        classes, folder_to_idx = find_folders(root)
        loose = sorted(fileio.list_dir_or_file(
            root, list_dir=False, list_file=True))
        if not classes:
            raise ValueError(
                f'{name}: "{root}" has no class folders ({len(loose)} '
                'files directly in it). Put the images of each class in a '
                f'folder named after the class: {root}/<class>/<image>.')
        self._check_classes_from(classes)
        if self.CLASSES is not None and len(self.CLASSES) != len(classes):
            raise ValueError(
                f'{name}: "{root}" has {len(classes)} class folders '
                f'{tuple(classes)}, but the dataset\'s classes are '
                f'{tuple(self.CLASSES)}.')
        samples, empty, skipped = self._scan(root, folder_to_idx)
        if empty:
            raise ValueError(
                f'{name}: the class folders '
                f'{_listed([f"{root}/{c}" for c in sorted(empty)])} hold no '
                f'images (extensions {", ".join(sorted(self.extensions))}).'
                ' Every folder is a class: add its images or remove it.')
        self._warn_skipped(root, loose, skipped)
        self.folder_to_idx = folder_to_idx
        if self.CLASSES is None:
            self._metainfo['classes'] = tuple(classes)
        return samples

    def _scan(self, root: str, folder_to_idx: Optional[dict]) -> tuple:
        """mmpretrain's ``get_samples`` under ``root``, and the files it
        skipped (no image extension)."""
        skipped = []

        def is_image(filename: str) -> bool:
            valid = self.is_valid_file(filename)
            if not valid:
                skipped.append(filename)
            return valid

        samples, empty = get_samples(root, folder_to_idx, is_image)
        return samples, empty, skipped

    def load_data_list(self) -> List[dict]:
        """The labelled images, then those of ``unlabeled_prefix``."""
        data_list = super().load_data_list()
        if self.unlabeled_prefix is None:
            return data_list
        root = fileio.join_path(self.data_root, self.unlabeled_prefix) \
            if self.data_root else self.unlabeled_prefix
        if not fileio.isdir(root):
            return data_list
        files, _, skipped = self._scan(root, None)
        if not files:
            raise ValueError(
                f'{type(self).__name__}: the unlabelled folder "{root}" '
                f'(unlabeled_prefix) holds no images (extensions '
                f'{", ".join(sorted(self.extensions))}). Add the images or '
                'remove the folder.')
        self._warn_skipped(root, [], skipped)
        return data_list + [
            dict(img_path=fileio.join_path(root, f), gt_label=UNLABELED)
            for f in files
        ]

    def _check_classes_from(self, classes: List[str]):
        if self.classes_from is None:
            return
        name = type(self).__name__
        source = fileio.join_path(self.data_root, self.classes_from) \
            if self.data_root else self.classes_from
        if not fileio.isdir(source):
            raise FileNotFoundError(
                f'{name}: no folder "{source}" (classes_from) to take the '
                'class folders from.')
        expected = find_folders(source)[0]
        if classes == expected:
            return
        differences = []
        extra = sorted(set(classes) - set(expected))
        if extra:
            differences.append(f'not in {self.classes_from}: '
                               f'{_listed(extra)}')
        missing = sorted(set(expected) - set(classes))
        if missing:
            differences.append(f'missing here: {_listed(missing)}')
        raise ValueError(
            f'{name}: the class folders of "{self.img_prefix}" differ from '
            f'those of "{source}" ({"; ".join(differences)}). A label is '
            'the index of its folder name, so every split needs the same '
            'class folders: rename, add or remove folders.')

    def _warn_skipped(self, root: str, loose: List[str],
                      skipped: List[str]):
        """Say which files the folder scan leaves out, and why."""
        reasons = []
        if loose:
            reasons.append(f'{len(loose)} outside the class folders '
                           f'({_listed(loose)})')
        if skipped:
            kinds = Counter(osp.splitext(f)[1].lower() or '(none)'
                            for f in skipped)
            reasons.append(
                f'{len(skipped)} without an image extension ('
                + ', '.join(f'{ext}: {n}' for ext, n in sorted(kinds.items()))
                + f', e.g. "{skipped[0]}")')
        if reasons:
            exts = {osp.splitext(f)[1].lower() for f in skipped + loose}
            unread = sorted(NOT_READ[e] for e in exts & NOT_READ.keys()
                            if e not in self.extensions)
            MMLogger.get_current_instance().warning(
                f'{type(self).__name__}: skipped {" and ".join(reasons)} '
                f'in "{root}". Images need one of the extensions '
                f'{", ".join(sorted(self.extensions))} (the dataset\'s '
                '`extensions`).' + (
                    f' {" and ".join(unread)} files are not read: convert '
                    'them to JPEG or PNG (e.g. the first frame of a GIF).'
                    if unread else ''))

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        if self.num_classes is not None and len(
                self.CLASSES) != self.num_classes:
            raise ValueError(
                f'{type(self).__name__}: "{self.data_prefix["img_path"]}" '
                f'has {len(self.CLASSES)} classes {tuple(self.CLASSES)}, '
                f'but num_classes={self.num_classes}. Set NUM_CLASSES (or '
                'num_classes in the dataset config) to the number of class '
                'folders.')
        # After full_init the data list is serialised; read it back.
        paths = [
            super(InMemoryCustomDataset, self).get_data_info(i)['img_path']
            for i in range(len(self))
        ]
        self._images, errors = [], []
        for path in paths:
            try:
                self._images.append(self._decode(path))
            # Every undecodable file in one error, so one pass fixes all.
            except ValueError as e:
                errors.append(e)
        if errors:
            listed = '\n'.join(f'  {e}' for e in errors[:MAX_LISTED])
            more = len(errors) - MAX_LISTED
            raise ValueError(
                f'{type(self).__name__}: {len(errors)} of {len(paths)} '
                f'images cannot be decoded:\n{listed}\n'
                + (f'  ... and {more} more\n' if more > 0 else '')
                + 'Replace or delete these files (copy again those that '
                'were cut short).') from errors[0]

    def _decode(self, path: str) -> np.ndarray:
        data = fileio.get(path)
        if not data:
            raise ValueError(
                f'Cannot decode image "{path}": an empty file (0 bytes)')
        cut = self._cut_jpeg(data)
        if cut is not None:
            raise ValueError(
                f'Cannot decode image "{path}": a JPEG file cut short ({cut})')
        img = mmcv.imfrombytes(data, flag='color', channel_order='bgr')
        if img is None:
            raise ValueError(
                f'Cannot decode image "{path}": OpenCV does not read it (not '
                'an image, damaged, or a kind it does not read, e.g. 32-bit '
                'float TIFF)')
        img = mmcv.bgr2rgb(img)
        if self.image_size is not None:
            img = self._square(img, self.image_size)
        return img

    @staticmethod
    def _cut_jpeg(data: bytes) -> Optional[str]:
        """Why a JPEG file is cut short, or None if it is not.

        OpenCV 4 decodes a cut JPEG with a grey bottom and only a warning.
        A whole one ends with the end-of-image marker ``FF D9``.
        """
        if data[:2] != b'\xff\xd8' or data.rstrip(b'\0')[-2:] == b'\xff\xd9':
            return None
        # Bytes after the marker (phones append videos) are fine: Pillow
        # decodes up to the marker and fails on cut data only.
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.load()
        except OSError as e:
            return f'Pillow: {e}'
        return None

    @staticmethod
    def _square(img: np.ndarray, size: int) -> np.ndarray:
        """Resize the shorter side to ``size`` and centre-crop a square."""
        h, w = img.shape[:2]
        if (h, w) != (size, size):
            scale = size / min(h, w)
            new_w, new_h = max(size, round(w * scale)), max(
                size, round(h * scale))
            img = mmcv.imresize(
                img, (new_w, new_h),
                interpolation='area' if scale < 1 else 'bilinear')
            top, left = (new_h - size) // 2, (new_w - size) // 2
            img = np.ascontiguousarray(img[top:top + size,
                                           left:left + size])
        return img

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        img = self._images[idx]
        info['img'] = img
        info['img_shape'] = info['ori_shape'] = img.shape[:2]
        return info
