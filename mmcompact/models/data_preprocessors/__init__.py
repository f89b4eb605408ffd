from .random_view_cls_data_preprocessor import RandomViewClsDataPreprocessor

__all__ = ['RandomViewClsDataPreprocessor']
