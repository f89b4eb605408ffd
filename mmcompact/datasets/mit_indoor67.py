from typing import List, Optional, Tuple

import mmengine.fileio as fileio
from mmpretrain.registry import DATASETS

from .in_memory_custom_dataset import InMemoryCustomDataset

_LAYOUT = ('<data_root>/Images/<class>/<file>.jpg, '
           '<data_root>/TrainImages.txt and <data_root>/TestImages.txt '
           '(one "<class>/<file>.jpg" per line)')


@DATASETS.register_module()
class MITIndoor67(InMemoryCustomDataset):
    """MIT Indoor-67 scene recognition (Quattoni & Torralba, CVPR 2009).

    Reads the official layout::

        <data_root>/Images/<class>/<file>.jpg
        <data_root>/TrainImages.txt   # 5,360 lines "<class>/<file>.jpg"
        <data_root>/TestImages.txt    # 1,340 lines "<class>/<file>.jpg"

    The class of an image is the folder part of its line. The classes are
    the sorted class names found in ``TrainImages.txt`` for both splits, so
    the label indices of the two splits agree (67 classes in the real set).
    Blank lines and Windows line endings are tolerated. Every image is
    decoded once into memory by :class:`InMemoryCustomDataset`; missing,
    undecodable or unknown-class entries are refused at start-up.

    Args:
        data_root (str): Folder holding ``Images/``, ``TrainImages.txt``
            and ``TestImages.txt``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        metainfo (dict, optional): Extra meta information. ``classes``, if
            given, must equal the classes of ``TrainImages.txt``.
            Defaults to None.
        **kwargs: Passed to :class:`InMemoryCustomDataset` (e.g.
            ``image_size``, ``num_classes``, ``pipeline``).
    """

    SPLIT_FILES = {'train': 'TrainImages.txt', 'test': 'TestImages.txt'}

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 metainfo: Optional[dict] = None,
                 **kwargs):
        if kwargs.get('unlabeled_prefix') is not None:
            raise ValueError(
                'MITIndoor67 reads its image lists only: it has no '
                'unlabelled transfer set (unlabeled_prefix); use '
                'InMemoryCustomDataset class folders for one.')
        if split not in self.SPLIT_FILES:
            raise ValueError(f'MITIndoor67: split must be "train" or '
                             f'"test", got "{split}"')
        self.split = split
        self.train_file = self._root_join(data_root,
                                          self.SPLIT_FILES['train'])
        # Classes come from the train list, whatever the split, so that
        # both splits share the label indices.
        classes = tuple(
            sorted({cls
                    for _, _, cls in self._read_list(self.train_file,
                                                     data_root)}))
        metainfo = self._compat_classes(metainfo, kwargs.pop('classes', None))
        given = metainfo.get('classes')
        if given is not None and tuple(given) != classes:
            raise ValueError(
                f'MITIndoor67: the given classes {tuple(given)} differ from '
                f'the {len(classes)} classes of "{self.train_file}" '
                f'{classes}. Leave `classes` unset: they are read from '
                'the train list.')
        metainfo = {**metainfo, 'classes': classes}
        super().__init__(
            data_root=data_root,
            data_prefix='Images',
            ann_file=self.SPLIT_FILES[split],
            metainfo=metainfo,
            **kwargs)

    @staticmethod
    def _root_join(data_root: str, name: str) -> str:
        return fileio.join_path(data_root, name) if data_root else name

    @staticmethod
    def _read_list(list_file: str,
                   data_root: str) -> List[Tuple[int, str, str]]:
        """Read a split file into ``(line number, path, class)`` tuples."""
        if not fileio.exists(list_file):
            where = (f'no folder "{data_root}"' if data_root
                     and not fileio.exists(data_root) else
                     f'no file "{list_file}"')
            raise FileNotFoundError(
                f'MITIndoor67: {where}. Expected {_LAYOUT}. Set data_root '
                'to the folder of the extracted indoorCVPR_09.tar with '
                'the split files TrainImages.txt and TestImages.txt next '
                'to Images/.')
        entries = []
        text = fileio.get_text(list_file, encoding='utf-8-sig')
        for lineno, line in enumerate(text.splitlines(), start=1):
            rel = line.strip()
            if not rel:
                continue
            cls, sep, name = rel.partition('/')
            if not (cls and sep and name):
                raise ValueError(
                    f'MITIndoor67: line {lineno} of "{list_file}" is '
                    f'"{rel}", expected "<class>/<file>.jpg".')
            entries.append((lineno, rel, cls))
        if not entries:
            raise ValueError(f'MITIndoor67: "{list_file}" lists no images. '
                             f'Expected {_LAYOUT}.')
        return entries

    def load_data_list(self) -> List[dict]:
        """Load image paths and labels from the split file.

        Returns:
            list[dict]: ``{'img_path': str, 'gt_label': int}`` per image,
            in the order of the split file.
        """
        class_to_idx = self.class_to_idx
        data_list = []
        for lineno, rel, cls in self._read_list(self.ann_file,
                                                self.data_root):
            if cls not in class_to_idx:
                raise ValueError(
                    f'MITIndoor67: class "{cls}" (line {lineno} of '
                    f'"{self.ann_file}") is not in "{self.train_file}"; '
                    'both split files must come from the same release.')
            img_path = fileio.join_path(self.img_prefix, rel)
            if not fileio.exists(img_path):
                raise FileNotFoundError(
                    f'MITIndoor67: no image "{img_path}", listed on line '
                    f'{lineno} of "{self.ann_file}". Is Images/ complete '
                    f'(expected {_LAYOUT})?')
            data_list.append(
                dict(img_path=img_path, gt_label=class_to_idx[cls]))
        return data_list
