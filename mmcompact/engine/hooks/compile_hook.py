from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class CompileHook(Hook):
    """``torch.compile`` the model's networks in place when training starts.

    mmengine's own switch (``compile=True`` in a config) compiles the whole
    ``train_step`` -- data preprocessor, loss parsing and optimiser step
    included -- which torch's dynamo fails to trace with mmengine 0.10's
    loss parsing (``InternalTorchDynamoError``, see docs/benchmarks.md),
    and it leaves validation eager. This hook compiles the networks only,
    each with ``nn.Module.compile`` (in place: parameter names, hence
    checkpoints, do not change), at ``before_train``, so training and the
    validation within it run the compiled code. Compilation happens on the
    first batches of each input shape and mode, which costs seconds to a
    minute on a CPU: it pays in training runs only, so a test-only run
    (``tools/test.py``) stays eager.

    Args:
        modules (Sequence[str]): Attributes of the model to compile; missing
            ones are skipped. Defaults to ``('backbone', 'neck', 'head')``.
        options (dict, optional): Keyword arguments of ``torch.compile``.
            Defaults to None.
    """

    def __init__(self,
                 modules: Sequence[str] = ('backbone', 'neck', 'head'),
                 options: Optional[dict] = None):
        if isinstance(modules, str):
            modules = (modules, )
        self.modules = tuple(modules)
        self.options = dict(options or {})

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        compiled = []
        for name in self.modules:
            module = getattr(model, name, None)
            if module is not None:
                module.compile(**self.options)
                compiled.append(name)
        if not compiled:
            raise ValueError(
                f'CompileHook: the model ({type(model).__name__}) has none of '
                f'the modules {self.modules}.')
