from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


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
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        cache = getattr(getattr(model, 'data_preprocessor', None),
                        'teacher_cache', None)
        if cache is not None:
            cache.check_dataset(runner.train_dataloader.dataset)
