import os.path as osp
from typing import List, Optional

import torch
import torch.nn as nn
from mmengine.runner.checkpoint import _load_checkpoint
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmcompact.datasets.teacher_cache import (load_teacher_cache_meta,
                                              teacher_fingerprint)
from ..data_preprocessors import CropFlipClsDataPreprocessor


def _resolve_checkpoint(path: str, teacher_config: Optional[str]) -> str:
    """Turn a stage-1 work dir or checkpoint path into a checkpoint file.

    A work dir is resolved through its ``last_checkpoint`` file, which
    mmengine's ``CheckpointHook`` writes, so configs need not hard-code the
    epoch number of the teacher's final checkpoint.
    """
    hint = ('Run stage 1 first: python tools/train.py '
            f'{teacher_config or "<teacher config>"}')
    if '://' in path:  # URLs and other mmengine checkpoint schemes
        return path
    if osp.isdir(path):
        last = osp.join(path, 'last_checkpoint')
        if not osp.isfile(last):
            raise FileNotFoundError(
                f'No teacher checkpoint in "{path}" (no last_checkpoint '
                f'file). {hint}')
        with open(last, encoding='utf-8') as f:
            path = f.read().strip()
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Teacher checkpoint "{path}" does not exist. {hint}')
    return path


@MODELS.register_module()
class JointLearningClassifier(ImageClassifier):
    """Compact student trained jointly on labels and a teacher's soft targets.

    Stage 2 of compact CNN transfer learning (Li, Song, McLoughlin, Dai,
    ICASSP 2016): the student (``backbone``/``neck``/``head``, exactly the
    fields of an mmpretrain :class:`ImageClassifier`) minimises its
    hard-label loss plus a soft-target loss on the probabilities of a
    fine-tuned, frozen teacher.

    The teacher is kept *outside* the module tree: it has no parameters in
    the optimiser, ``model.train()`` never reaches it (its BatchNorm and
    Dropout stay in eval mode), and ``state_dict()`` -- hence every saved
    checkpoint -- holds the student only and loads into a plain
    ``ImageClassifier`` built from the student config.

    The teacher sees the student's augmented view: the student's batch is
    un-normalised with the student's ``data_preprocessor``, normalised with
    the teacher's, and resized by it when it is a
    ``ResizeClsDataPreprocessor`` (the teacher's stage-1 input size).

    Args:
        backbone (dict): Student backbone config.
        teacher (dict): Teacher model config (the stage-1 config's
            ``model``).
        teacher_ckpt (str): Stage-1 checkpoint, or its work dir (resolved
            through ``last_checkpoint``), or a URL.
        teacher_config (str, optional): Stage-1 config path, only used to
            tell the user which command produces a missing checkpoint.
        hard_loss_weight (float): Weight of the student head's hard-label
            loss in the joint objective; the head config stays that of the
            student alone. Defaults to 1.0.
        distill_loss (dict): Soft-target loss config (its ``loss_weight``
            weighs the soft term). Defaults to ``SoftTargetLoss`` with T=4.
        neck (dict, optional): Student neck config.
        head (dict, optional): Student head config (its ``loss`` is the
            hard-label loss, logged as ``loss_cls``).
        data_preprocessor (dict, optional): Student data preprocessor.
        teacher_cache (str, optional): Teacher predictions stored per view by
            ``tools/cache_teacher.py``. When set, the training pipeline must
            replay those views (``ReplayTeacherView``) and the teacher is
            not run during training; a cache built from other teacher
            weights or preprocessing is refused. Defaults to None (online
            teacher).
        **kwargs: Passed to :class:`ImageClassifier`.
    """

    def __init__(self,
                 backbone: dict,
                 teacher: dict,
                 teacher_ckpt: str,
                 teacher_config: Optional[str] = None,
                 hard_loss_weight: float = 1.0,
                 distill_loss: dict = dict(
                     type='SoftTargetLoss', temperature=4.0, loss_weight=1.0),
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 teacher_cache: Optional[str] = None,
                 **kwargs):
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            **kwargs)
        self.hard_loss_weight = float(hard_loss_weight)
        self.distill_loss = MODELS.build(distill_loss)
        teacher_model = self.build_teacher(teacher, teacher_ckpt,
                                           teacher_config)
        self._check_compatible(teacher_model)
        # Bypass nn.Module.__setattr__: not a submodule, see class doc.
        object.__setattr__(self, 'teacher', teacher_model)
        self.teacher_cache = teacher_cache
        if teacher_cache is not None:
            meta = load_teacher_cache_meta(teacher_cache)
            if meta['teacher'] != teacher_fingerprint(teacher_model):
                raise ValueError(
                    f'Teacher cache "{teacher_cache}" was built from another '
                    f'teacher (checkpoint "{meta["teacher_ckpt"]}", other '
                    'weights or input size/normalisation). Rebuild it: '
                    'python tools/cache_teacher.py <joint config>')
            pre = self.data_preprocessor
            if isinstance(pre, CropFlipClsDataPreprocessor) and (
                    pre.padding, pre.crop_size) != (
                        meta['padding'], (meta['crop_size'], ) * 2):
                # The preprocessor replays the stored views itself.
                raise ValueError(
                    f'Teacher cache "{teacher_cache}" holds views cropped '
                    f'to {meta["crop_size"]} with padding {meta["padding"]}, '
                    f'but the data_preprocessor crops to {pre.crop_size} '
                    f'with padding {pre.padding}.')

    @classmethod
    def build_teacher(cls, teacher: dict, teacher_ckpt: str,
                      teacher_config: Optional[str] = None) -> nn.Module:
        """Build the teacher, load its stage-1 weights strictly, freeze it.

        Args:
            teacher (dict): Teacher model config.
            teacher_ckpt (str): Checkpoint, stage-1 work dir or URL.
            teacher_config (str, optional): Stage-1 config, for messages.

        Returns:
            nn.Module: The teacher in eval mode without gradients.
        """
        model = MODELS.build(teacher)
        cls._load_teacher(model,
                          _resolve_checkpoint(teacher_ckpt, teacher_config))
        model.requires_grad_(False)
        return model.eval()

    def _check_compatible(self, teacher: nn.Module):
        t_classes = getattr(teacher.head, 'num_classes', None)
        s_classes = getattr(self.head, 'num_classes', None)
        if t_classes != s_classes:
            raise ValueError(
                f'Teacher head has num_classes={t_classes} but the student '
                f'head has num_classes={s_classes}; both must predict the '
                'same classes.')
        s_pre, t_pre = self.data_preprocessor, teacher.data_preprocessor
        if getattr(s_pre, 'to_rgb', False) != getattr(
                t_pre, 'to_rgb', False):
            raise ValueError(
                'Teacher and student data_preprocessor disagree on to_rgb; '
                'the teacher would see the student view with swapped '
                'channels.')

    @staticmethod
    def _load_teacher(teacher: nn.Module, filename: str):
        # logger='current': the "Loads checkpoint" line goes to the run's
        # log, not bare to stdout.
        checkpoint = _load_checkpoint(
            filename, map_location='cpu', logger='current')
        state_dict = checkpoint.get('state_dict', checkpoint)
        own = teacher.state_dict()
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        mismatched = [
            f'{k}: checkpoint {tuple(state_dict[k].shape)} vs teacher '
            f'{tuple(own[k].shape)}'
            for k in sorted(set(own) & set(state_dict))
            if tuple(state_dict[k].shape) != tuple(own[k].shape)
        ]
        if missing or unexpected or mismatched:
            def first(keys):
                return ', '.join(keys[:5]) + (' ...' if len(keys) > 5 else '')

            raise ValueError(
                f'Teacher checkpoint "{filename}" does not fit the teacher '
                f'model: {len(missing)} missing keys [{first(missing)}], '
                f'{len(unexpected)} unexpected keys [{first(unexpected)}], '
                f'{len(mismatched)} shape mismatches [{first(mismatched)}]')
        teacher.load_state_dict(state_dict, strict=True)

    def _apply(self, fn, *args, **kwargs):
        # ``.to()``/``.cuda()``/``.half()`` must move the hidden teacher too.
        super()._apply(fn, *args, **kwargs)
        if 'teacher' in self.__dict__:
            self.teacher._apply(fn, *args, **kwargs)
        return self

    def teacher_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """Convert a student batch into the teacher's input.

        Args:
            inputs (Tensor): The student's pre-processed ``(N, C, H, W)``
                batch (after augmentation and normalisation).

        Returns:
            Tensor: The same views, normalised (and resized) as in the
            teacher's stage-1 config.
        """
        s_pre, t_pre = self.data_preprocessor, self.teacher.data_preprocessor
        x = inputs
        if getattr(s_pre, '_enable_normalize', False):
            x = x * s_pre.std + s_pre.mean
        if getattr(t_pre, '_enable_normalize', False):
            x = (x - t_pre.mean) / t_pre.std
        if hasattr(t_pre, 'resize'):
            x = t_pre.resize(x)
        return x

    @torch.no_grad()
    def teacher_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Teacher logits for a student batch (frozen, eval mode)."""
        return self.teacher(self.teacher_inputs(inputs), mode='tensor')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        """Hard-label loss (``loss_cls``) + soft-target loss (``loss_soft``).

        Args:
            inputs (Tensor): Pre-processed student batch.
            data_samples (list[DataSample]): Annotations.

        Returns:
            dict[str, Tensor]: The two losses (and the head's accuracy when
            its ``cal_acc`` is on).
        """
        cls_score = self.head(self.extract_feat(inputs))
        losses = self.head._get_loss(cls_score, data_samples)
        losses['loss_cls'] = self.hard_loss_weight * losses.pop('loss')
        if self.teacher_cache is None:
            t_logits = self.teacher_logits(inputs)
        elif all('teacher_logits' in s for s in data_samples):
            self._check_view_replay(data_samples)
            t_logits = torch.stack([
                torch.as_tensor(s.teacher_logits) for s in data_samples
            ]).to(cls_score.device)
        else:
            raise ValueError(
                'teacher_cache is set but the batch has no teacher_logits: '
                "the train pipeline needs ReplayTeacherView and PackInputs("
                "algorithm_keys=['teacher_logits']).")
        losses['loss_soft'] = self.distill_loss(cls_score, t_logits)
        return losses

    def _check_view_replay(self, data_samples: List[DataSample]):
        """Refuse a batch whose cached logits are not for the student's view.

        The stored view is applied either by ``ReplayTeacherView`` (per
        sample) or, with ``apply_view=False``, by a
        ``CropFlipClsDataPreprocessor``; any other pairing silently trains
        on views the logits were not computed for.
        """
        pre = self.data_preprocessor
        batch_crop = isinstance(pre, CropFlipClsDataPreprocessor)
        view_key = pre.view_key if batch_crop else 'teacher_view'
        has_view = view_key in data_samples[0]
        if batch_crop and not has_view:
            raise ValueError(
                'The data_preprocessor (CropFlipClsDataPreprocessor) would '
                'crop the replayed views again: use ReplayTeacherView('
                f"apply_view=False) and PackInputs(algorithm_keys=[..., "
                f"'{view_key}']).")
        if has_view and not batch_crop:
            raise ValueError(
                f'The batch carries stored views ("{view_key}") but the '
                'data_preprocessor does not apply them: use '
                'CropFlipClsDataPreprocessor, or ReplayTeacherView('
                'apply_view=True).')
