from typing import Dict

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS

from mmcompact.models import JointLearningClassifier

from .utils import unwrap_model


@HOOKS.register_module()
class TeacherEvalHook(Hook):
    """Validate a joint model's frozen teacher once, before stage 2 trains.

    The teacher is evaluated on the validation set as stage 2 shows images
    to it: each validation batch goes through the student's
    ``data_preprocessor`` and then
    :meth:`JointLearningClassifier.teacher_inputs` (the teacher's
    normalisation and input size), so a teacher that lost accuracy on the
    student's view, or a checkpoint that is not the expected one, shows
    before the student trains. The runner's validation evaluator gives the
    metrics; they are written to the log and, with the prefix
    ``teacher/`` (e.g. ``teacher/accuracy/top1``), to the visualizer's
    backends (``scalars.json``, TensorBoard) at step 0. They are also kept
    in the message hub as runtime info ``teacher_metrics``, which
    checkpoints save: a resumed run does not evaluate the teacher again.

    Args:
        prefix (str): Prefix of the logged metric names. Defaults to
            ``'teacher'``.
    """

    priority = 'LOW'
    INFO_KEY = 'teacher_metrics'

    def __init__(self, prefix: str = 'teacher'):
        if not prefix:
            raise ValueError('TeacherEvalHook needs a non-empty prefix')
        self.prefix = prefix

    def before_train(self, runner) -> None:
        if runner.message_hub.get_info(self.INFO_KEY) is not None:
            return  # resumed: evaluated when this stage first started
        model = unwrap_model(runner.model)
        if not isinstance(model, JointLearningClassifier):
            raise TypeError('TeacherEvalHook validates the teacher of a '
                            'JointLearningClassifier, got '
                            f'{type(model).__name__}')
        if runner.val_loop is None:
            print_log('TeacherEvalHook: no validation loop (validation is '
                      'off), the teacher is not evaluated.',
                      logger='current', level=30)
            return
        metrics = self.evaluate(model, runner.val_loop.dataloader,
                                runner.val_loop.evaluator)
        scalars = {f'{self.prefix}/{k}': v for k, v in metrics.items()}
        runner.message_hub.update_info(self.INFO_KEY, scalars)
        runner.visualizer.add_scalars(scalars, step=0)
        runner.logger.info('Teacher on the validation set (stage-2 input): '
                           + '  '.join(f'{k}: {v:.4f}'
                                       for k, v in scalars.items()))

    @staticmethod
    @torch.no_grad()
    def evaluate(model: JointLearningClassifier, dataloader,
                 evaluator) -> Dict[str, float]:
        """The teacher's metrics on ``dataloader``, through the student's
        preprocessing.

        Args:
            model (JointLearningClassifier): The joint model.
            dataloader (DataLoader): Validation data.
            evaluator (Evaluator): Computes the metrics (its results are
                cleared by ``evaluate``, so the validation loop can reuse
                it).

        Returns:
            dict[str, float]: The evaluator's metrics.
        """
        for data in dataloader:
            data = model.data_preprocessor(data, False)
            samples = model.teacher(
                model.teacher_inputs(data['inputs']), data['data_samples'],
                mode='predict')
            evaluator.process(data_samples=samples, data_batch=data)
        metrics = evaluator.evaluate(len(dataloader.dataset))
        return {k: float(v) for k, v in metrics.items()}
