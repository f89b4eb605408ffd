from typing import Optional, Sequence, Union

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from .utils import unwrap_model


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
    minute on a CPU: it pays in training runs, so a test-only run
    (``tools/test.py``) stays eager unless ``loops`` names ``'test'``.

    Args:
        modules (Sequence[str]): Attributes of the model to compile; missing
            ones are skipped. Defaults to ``('backbone', 'neck', 'head')``.
        options (dict, optional): Keyword arguments of ``torch.compile``.
            Defaults to None.
        loops (str | Sequence[str]): When to compile: ``'train'`` (when
            training starts) and/or ``'test'`` (when a test run starts,
            e.g. ``--cfg-options "custom_hooks.1.loops=[train,test]"`` for
            ``tools/test.py`` on a large test set). Defaults to
            ``('train', )``.
    """

    LOOPS = ('train', 'test')

    def __init__(self,
                 modules: Sequence[str] = ('backbone', 'neck', 'head'),
                 options: Optional[dict] = None,
                 loops: Union[str, Sequence[str]] = ('train', )):
        if isinstance(modules, str):
            modules = (modules, )
        if isinstance(loops, str):
            loops = (loops, )
        unknown = sorted(set(loops) - set(self.LOOPS))
        if unknown:
            raise ValueError(f'CompileHook loops must be among {self.LOOPS}, '
                             f'got {unknown}')
        self.modules = tuple(modules)
        self.options = dict(options or {})
        self.loops = tuple(loops)
        self._compiled = False

    def before_train(self, runner) -> None:
        if 'train' in self.loops:
            self._compile(runner)

    def before_test(self, runner) -> None:
        if 'test' in self.loops:
            self._compile(runner)

    def _compile(self, runner) -> None:
        if self._compiled:  # e.g. a test run after training, in one runner
            return
        model = unwrap_model(runner.model)
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
        self._compiled = True
