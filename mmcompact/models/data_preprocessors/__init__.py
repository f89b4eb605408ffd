from .crop_flip_cls_data_preprocessor import CropFlipClsDataPreprocessor
from .resize_cls_data_preprocessor import ResizeClsDataPreprocessor

__all__ = ['CropFlipClsDataPreprocessor', 'ResizeClsDataPreprocessor']
