from .resize_cls_data_preprocessor import ResizeClsDataPreprocessor

__all__ = ['ResizeClsDataPreprocessor']
