import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Keep the model's 4-D weights in ``channels_last`` memory format.

    On x86 CPUs (oneDNN) convolutions run faster on NHWC tensors, and a
    convolution whose weight is ``channels_last`` also returns its output in
    that format, so converting the weights once is enough: the whole
    forward and backward pass then stay NHWC. The parameters keep their
    identity (``Module.to`` replaces ``.data``), so the optimiser built
    before ``before_run`` keeps working. Checkpoints are unaffected: state
    dicts load into either format.

    Args:
        memory_format (str): ``'channels_last'`` or ``'contiguous_format'``
            (a no-op, to switch the hook off from ``--cfg-options``).
            Defaults to ``'channels_last'``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, memory_format: str = 'channels_last'):
        if memory_format not in ('channels_last', 'contiguous_format'):
            raise ValueError('memory_format must be "channels_last" or '
                             f'"contiguous_format", got "{memory_format}"')
        self.memory_format = getattr(torch, memory_format)

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        model.to(memory_format=self.memory_format)
