from .random_view_cls_data_preprocessor import (VIEW_FIELDS,
                                                RandomViewClsDataPreprocessor,
                                                crop_views)

__all__ = ['RandomViewClsDataPreprocessor', 'VIEW_FIELDS', 'crop_views']
