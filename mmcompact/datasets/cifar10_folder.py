import os.path as osp

from mmpretrain.datasets.categories import CIFAR10_CATEGORIES
from mmpretrain.registry import DATASETS

from .in_memory_custom_dataset import MAX_LISTED, InMemoryCustomDataset


@DATASETS.register_module()
class CIFAR10Folder(InMemoryCustomDataset):
    """CIFAR-10 stored as class folders: ``<data_root>/<split>/<class>/*``.

    A drop-in for mmpretrain's ``CIFAR10`` (same ``data_root``/``split``
    arguments, same RGB ``img`` arrays, same class order) for users who have
    the images as files rather than the official pickled batches, e.g. a
    folder copy of CIFAR-10 with ``train/`` and ``test/`` class folders.
    Without ``image_size`` every image must be 32x32, as the CIFAR
    pad-and-crop views and models expect; another size is refused at
    start-up, not at its first batch.

    Args:
        data_root (str): Folder holding ``train/`` and ``test/``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        **kwargs: Passed to :class:`InMemoryCustomDataset`.
    """

    METAINFO = {'classes': CIFAR10_CATEGORIES}
    #: Side of a CIFAR-10 image.
    SIZE = 32

    def __init__(self, data_root: str = '', split: str = 'train', **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f'CIFAR10Folder: split must be "train" or '
                             f'"test", got "{split}"')
        self.split = split
        super().__init__(data_root=data_root, data_prefix=split, **kwargs)

    def load_data_list(self):
        root = self.data_prefix['img_path']
        if not osp.isdir(root):
            raise FileNotFoundError(
                f'CIFAR10Folder: no folder "{root}". Expected '
                f'<data_root>/{self.split}/<class>/*.jpg, e.g. a link '
                '`ln -s /path/to/cifar10 data/cifar10`, or use '
                "dataset type 'CIFAR10' to download the official set.")
        data_list = super().load_data_list()
        folders = tuple(sorted(self.folder_to_idx))
        if folders != tuple(CIFAR10_CATEGORIES):
            raise ValueError(
                f'CIFAR10Folder: class folders in "{root}" are {folders}, '
                f'expected {tuple(CIFAR10_CATEGORIES)}')
        return data_list

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        if self.image_size is not None:  # resized when decoded
            return
        side = self.SIZE
        other = [(self.get_data_info(i)['img_path'], img.shape[:2])
                 for i, img in enumerate(self._images)
                 if img.shape[:2] != (side, side)]
        if other:
            listed = ', '.join(f'"{path}" {h}x{w}'
                               for path, (h, w) in other[:MAX_LISTED])
            raise ValueError(
                f'CIFAR10Folder: {len(other)} of {len(self)} images are not '
                f'{side}x{side} ({listed}{" ..." * (len(other) > MAX_LISTED)}'
                f'): CIFAR-10 views and models expect {side}x{side} '
                'images. Resize these files, or set image_size='
                f'{side} in the dataset config to resize every image when '
                'it is loaded.')
