from typing import List, Optional

import torch
import torch.nn as nn
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmcompact.teacher import (CachedTeacher, build_teacher, cache_mismatch,
                               check_draws_views, fuse_frozen_bn,
                               teacher_fingerprint)


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
    the teacher's, and resized by it when it has a ``resize`` method
    (``RandomViewClsDataPreprocessor``: the teacher's stage-1 input size).
    With ``batch_augments`` in the student's preprocessor (mmpretrain's
    ``Mixup``) the online teacher labels the mixed images the student
    sees: "function matching" (Beyer et al., CVPR 2022).

    Args:
        backbone (dict): Student backbone config.
        teacher (dict): ``dict(cfg_path=<stage-1 config>)`` (its ``model``
            is the teacher), or the teacher's model config itself.
        teacher_ckpt (str, optional): Stage-1 checkpoint, or its work dir
            (resolved through ``last_checkpoint``), or a URL. Defaults to
            the stage-1 config's default work dir.
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
            ``tools/cache_teacher.py``. When set, the student's
            ``RandomViewClsDataPreprocessor`` replays the stored views with
            the teacher's logits for them (:class:`CachedTeacher`), and the
            teacher is not run during training; the train pipeline stays
            the student's. A cache built from other teacher weights or
            preprocessing, or with other views, or a student preprocessor
            with ``batch_augments`` (the stored logits are for unmixed
            views), is refused here; a cache of another data set before
            training (``TeacherCacheCheckHook``).
            Defaults to None (online teacher).
        teacher_cache_views (int, optional): Replay only the first that
            many stored views of each image. Defaults to all.
        fuse_teacher_bn (bool): Fold the frozen teacher's BatchNorm layers
            into its convolutions (after the cache check, which
            fingerprints the stage-1 weights), so that the online teacher's
            forward pass skips them. Defaults to True.
        teacher_channels_last (bool): Run the online teacher in NHWC
            (weights and inputs), oneDNN's native layout on x86 CPUs, as
            ``tools/cache_teacher.py`` does; whatever layout the student
            uses. Defaults to True.
        **kwargs: Passed to :class:`ImageClassifier`.
    """

    def __init__(self,
                 backbone: dict,
                 teacher: dict,
                 teacher_ckpt: Optional[str] = None,
                 hard_loss_weight: float = 1.0,
                 distill_loss: dict = dict(
                     type='SoftTargetLoss', temperature=4.0, loss_weight=1.0),
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 teacher_cache: Optional[str] = None,
                 teacher_cache_views: Optional[int] = None,
                 fuse_teacher_bn: bool = True,
                 teacher_channels_last: bool = True,
                 **kwargs):
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            **kwargs)
        self.hard_loss_weight = float(hard_loss_weight)
        self.distill_loss = MODELS.build(distill_loss)
        teacher_model = build_teacher(teacher, teacher_ckpt)
        self._check_compatible(teacher_model)
        # Bypass nn.Module.__setattr__: not a submodule, see class doc.
        object.__setattr__(self, 'teacher', teacher_model)
        self.teacher_cache = teacher_cache
        if teacher_cache is not None:
            cached = CachedTeacher(teacher_cache, teacher_cache_views)
            pre = self.data_preprocessor
            check_draws_views(pre, f'teacher_cache="{teacher_cache}"')
            if getattr(pre, 'batch_augments', None) is not None:
                raise ValueError(
                    f'teacher_cache="{teacher_cache}" with the data '
                    'preprocessor\'s batch_augments: they mix the '
                    "student's views after the cache gave the teacher's "
                    'logits for the unmixed ones. Mix with the online '
                    'teacher (teacher_cache=None), which sees the mixed '
                    'batch, or set data_preprocessor.batch_augments=None.')
            why = cache_mismatch(cached.meta,
                                 teacher_fingerprint(teacher_model), pre.view)
            if why:
                raise ValueError(
                    f'Teacher cache "{teacher_cache}" {why}. Rebuild it: '
                    'python tools/cache_teacher.py <joint config>')
            pre.teacher_cache = cached
        if fuse_teacher_bn:
            fuse_frozen_bn(teacher_model)
        self.teacher_channels_last = teacher_channels_last
        if teacher_channels_last:
            teacher_model.to(memory_format=torch.channels_last)

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
        x = self.teacher_inputs(inputs)
        if self.teacher_channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.teacher(x, mode='tensor')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        """Hard-label loss (``loss_cls``) + soft-target loss (``loss_soft``).

        Samples whose ``gt_label`` is negative (the unlabelled transfer set,
        ``InMemoryCustomDataset(unlabeled_prefix=...)``) get the soft term
        only. Each term is a mean over the samples it covers: the hard one
        over the batch's labelled samples (zero when it has none), the soft
        one over all, so the two terms keep the weights the config gives
        them (``hard_loss_weight``, the soft loss's ``loss_weight``)
        whatever the share of unlabelled images in the batch.

        Args:
            inputs (Tensor): Pre-processed student batch.
            data_samples (list[DataSample]): Annotations.

        Returns:
            dict[str, Tensor]: The two losses (and the head's accuracy when
            its ``cal_acc`` is on).
        """
        feats = self.extract_feat(inputs)
        # One head forward, one dropout mask, for both terms; the hard loss
        # is the head's own (``ClsHead.loss`` is this forward and
        # ``_get_loss``) on the labelled rows.
        cls_score = self.head(feats)
        # One device-to-host copy for the whole batch.
        labels = torch.cat([s.gt_label for s in data_samples]).tolist()
        labelled = [i for i, label in enumerate(labels) if label >= 0]
        if len(labelled) == len(data_samples):
            losses = self.head._get_loss(cls_score, data_samples)
        elif labelled:
            losses = self.head._get_loss(
                cls_score[labelled], [data_samples[i] for i in labelled])
        else:
            losses = dict(loss=cls_score.sum() * 0.0)
        losses['loss_cls'] = self.hard_loss_weight * losses.pop('loss')
        if self.teacher_cache is None:
            t_logits = self.teacher_logits(inputs)
        elif all('teacher_logits' in s for s in data_samples):
            t_logits = torch.stack([s.teacher_logits for s in data_samples
                                    ]).to(cls_score.device)
        else:
            raise ValueError(
                'teacher_cache is set but the batch has no teacher_logits: '
                'the data preprocessor attaches them to the samples of a '
                'training batch (data_preprocessor(data, training=True)).')
        losses['loss_soft'] = self.distill_loss(cls_score, t_logits)
        return losses
