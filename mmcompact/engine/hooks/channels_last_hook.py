import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from .utils import unwrap_model


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Run the model in ``channels_last`` memory format, end to end.

    On x86 CPUs (oneDNN) convolutions run faster on NHWC tensors, and a
    convolution whose weight is ``channels_last`` also returns its output in
    that format, so the whole forward and backward pass stay NHWC once the
    weights are converted. The model's data preprocessor hands over NHWC
    batches too (a forward hook), so that the first convolution does not
    reorder its input, in training, validation and testing alike; a
    ``JointLearningClassifier``'s online teacher is converted with the
    student and receives the student's NHWC view. The parameters keep their
    identity (``Module.to`` replaces ``.data``), so the optimiser built
    before ``before_run`` keeps working. Checkpoints are unaffected: state
    dicts load into either format.

    Args:
        memory_format (str): ``'channels_last'`` or ``'contiguous_format'``
            (the hook does nothing, to switch it off from
            ``--cfg-options``; a model that is NHWC by itself, such as an
            online teacher, stays so). Defaults to ``'channels_last'``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, memory_format: str = 'channels_last'):
        if memory_format not in ('channels_last', 'contiguous_format'):
            raise ValueError('memory_format must be "channels_last" or '
                             f'"contiguous_format", got "{memory_format}"')
        self.memory_format = getattr(torch, memory_format)

    def before_run(self, runner) -> None:
        if self.memory_format is not torch.channels_last:
            return
        model = unwrap_model(runner.model)
        model.to(memory_format=torch.channels_last)
        if isinstance(getattr(model, 'data_preprocessor', None), nn.Module):
            model.data_preprocessor.register_forward_hook(_nhwc_inputs)


def _nhwc_inputs(module: nn.Module, args, output):
    """Forward hook: the data preprocessor's 4-D ``inputs`` as NHWC."""
    inputs = output.get('inputs') if isinstance(output, dict) else None
    if isinstance(inputs, torch.Tensor) and inputs.dim() == 4:
        output['inputs'] = inputs.contiguous(
            memory_format=torch.channels_last)
    return output
