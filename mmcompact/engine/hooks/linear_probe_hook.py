import json
import os.path as osp

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from torch import nn

from mmcompact.apis import PROBE_FILE, linear_probe
from mmcompact.utils import atomic_write

from .utils import unwrap_model


@HOOKS.register_module()
class LinearProbeHook(Hook):
    """Fit a linear probe on the frozen features before fine-tuning.

    Before the first training step, the training images (through the
    validation pipeline) and the validation images go through the model as
    it starts, i.e. its pretrained backbone; a logistic regression fitted
    on the training features (:func:`mmcompact.apis.linear_probe`) is
    scored on the validation features. Its top-1 is logged, kept in the
    message hub (``linear_probe/accuracy/top1``) and written to
    ``<work_dir>/linear_probe.json``: the reference a fine-tuned model must
    beat.

    With ``init_head=True`` the probe's weights also become the head's
    initial weights (LP-FT, Kumar et al., ICLR 2022): fine-tuning starts
    from the probe's accuracy instead of a random head, whose large early
    gradients distort the pretrained features -- on a small set, for most
    of the run. A resumed run (``runner.iter > 0``) keeps its trained head
    and fits nothing.

    Args:
        init_head (bool): Load the probe into the head's linear layer
            ``head.fc``. Defaults to True.
        batch_size (int): Images per forward pass. Defaults to 64.
    """

    priority = 'NORMAL'

    def __init__(self, init_head: bool = True, batch_size: int = 64):
        self.init_head = init_head
        self.batch_size = batch_size

    def before_train(self, runner) -> None:
        if runner.iter > 0:
            return
        model = unwrap_model(runner.model)
        fc = getattr(getattr(model, 'head', None), 'fc', None)
        if self.init_head and not isinstance(fc, nn.Linear):
            raise TypeError(
                f'LinearProbeHook(init_head=True): {type(model).__name__} '
                f'has no linear head.fc (its head: '
                f'{type(getattr(model, "head", None)).__name__}); set '
                'init_head=False to measure the probe only.')
        result = linear_probe(
            model, runner.train_dataloader.dataset,
            runner.val_dataloader.dataset, self.batch_size,
            lambda: runner.optim_wrapper.optim_context(model))
        probe = result.pop('probe')
        if self.init_head:
            fc.weight.data.copy_(probe.weight)
            fc.bias.data.copy_(probe.bias)
        runner.message_hub.update_info('linear_probe/accuracy/top1',
                                       result['accuracy'])
        runner.logger.info(
            f'Linear probe of the frozen features: top-1 '
            f'{result["accuracy"]:.2f}% on {result["num_val"]} validation '
            f'images (fitted on {result["num_train"]} training images, L2 '
            f'weight {result["weight_decay"]:g}, {result["seconds"]:.0f} s)'
            + ('; the head starts from it (LP-FT)' if self.init_head else ''))
        if runner.rank == 0:
            atomic_write(
                json.dumps(dict(result, init_head=self.init_head),
                           indent=1).encode(),
                osp.join(runner.work_dir, PROBE_FILE))
