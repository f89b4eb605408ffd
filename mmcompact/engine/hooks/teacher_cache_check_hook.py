from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from .utils import unwrap_model


@HOOKS.register_module()
class TeacherCacheCheckHook(Hook):
    """Refuse a teacher cache of another data set before training starts.

    A ``JointLearningClassifier(teacher_cache=...)`` looks samples up in the
    cache by index (``CachedTeacher``), so the training set must hold the
    cached images, in the cached order and at the cached size. This hook
    checks the whole training set once, before the first step
    (``CachedTeacher.check_dataset``); models without a cache are left
    alone. ``configs/_base_/default_runtime.py`` registers it.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        cache = getattr(getattr(model, 'data_preprocessor', None),
                        'teacher_cache', None)
        if cache is not None:
            cache.check_dataset(runner.train_dataloader.dataset)
