import os.path as osp
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmcompact.utils import load_checkpoint_strictly, model_config
from ..data_preprocessors import RandomViewClsDataPreprocessor
from ..utils import CachedTeacher, fuse_frozen_bn, teacher_fingerprint


def resolve_teacher(teacher: dict, teacher_ckpt: Optional[str] = None
                    ) -> Tuple[dict, str, Optional[str]]:
    """The teacher's model config, checkpoint and stage-1 config path.

    ``teacher=dict(cfg_path=CONFIG)`` takes the ``model`` of a stage-1
    config (mmrazor's way of composing configs), and the checkpoint then
    defaults to that config's default work dir, ``work_dirs/<config name>``,
    where ``tools/train.py CONFIG`` leaves it. Any other dict is the model
    config itself.

    Args:
        teacher (dict): ``dict(cfg_path=...)`` or a model config.
        teacher_ckpt (str, optional): Checkpoint, stage-1 work dir or URL.

    Returns:
        tuple: Model config, checkpoint (or work dir), config path or None.
    """
    teacher = dict(teacher)
    config = teacher.pop('cfg_path', None)
    if config is not None:
        if teacher:
            raise ValueError('teacher=dict(cfg_path=...) takes no other '
                             f'keys, got {sorted(teacher)}')
        # A base config names it relative to itself ('{{fileDirname}}/..').
        config = osp.normpath(config)
        if not osp.isfile(config):
            raise FileNotFoundError(f'Teacher config "{config}" not found.')
        teacher = model_config(Config.fromfile(config))
        if teacher_ckpt is None:
            teacher_ckpt = osp.join(
                'work_dirs', osp.splitext(osp.basename(config))[0])
    if teacher_ckpt is None:
        raise ValueError('teacher_ckpt is needed unless the teacher is '
                         'given as dict(cfg_path=<stage-1 config>)')
    return teacher, teacher_ckpt, config


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
    the teacher's, and resized by it when it has a ``resize`` method
    (``RandomViewClsDataPreprocessor``: the teacher's stage-1 input size).

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
            preprocessing, or with other views, is refused here; one of
            another data set before training (``TeacherCacheCheckHook``).
            Defaults to None (online teacher).
        teacher_cache_views (int, optional): Replay only the first that
            many stored views of each image. Defaults to all.
        fuse_teacher_bn (bool): Fold the frozen teacher's BatchNorm layers
            into its convolutions (after the cache check, which
            fingerprints the stage-1 weights), so that the online teacher's
            forward pass skips them. Defaults to True.
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
                 **kwargs):
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            **kwargs)
        self.hard_loss_weight = float(hard_loss_weight)
        self.distill_loss = MODELS.build(distill_loss)
        teacher_model = self.build_teacher(teacher, teacher_ckpt)
        self._check_compatible(teacher_model)
        # Bypass nn.Module.__setattr__: not a submodule, see class doc.
        object.__setattr__(self, 'teacher', teacher_model)
        self.teacher_cache = teacher_cache
        if teacher_cache is not None:
            cached = CachedTeacher(teacher_cache, teacher_cache_views)
            meta = cached.meta
            if meta['teacher'] != teacher_fingerprint(teacher_model):
                raise ValueError(
                    f'Teacher cache "{teacher_cache}" was built from another '
                    f'teacher (checkpoint "{meta["teacher_ckpt"]}", other '
                    'weights or input size/normalisation). Rebuild it: '
                    'python tools/cache_teacher.py <joint config>')
            pre = self.data_preprocessor
            if not isinstance(pre, RandomViewClsDataPreprocessor) or \
                    pre.view is None:
                raise ValueError(
                    'teacher_cache is set, so the student must replay the '
                    'stored views: its data_preprocessor must be a '
                    'RandomViewClsDataPreprocessor with a view, got '
                    f'{type(pre).__name__}.')
            if pre.view != meta['view']:
                raise ValueError(
                    f'Teacher cache "{teacher_cache}" holds views drawn as '
                    f'{meta["view"]}, but the data_preprocessor draws '
                    f'{pre.view}. Rebuild the cache for this config.')
            pre.teacher_cache = cached
        if fuse_teacher_bn:
            fuse_frozen_bn(teacher_model)

    @classmethod
    def build_teacher(cls, teacher: dict,
                      teacher_ckpt: Optional[str] = None) -> nn.Module:
        """Build the teacher, load its stage-1 weights strictly, freeze it.

        Args:
            teacher (dict): ``dict(cfg_path=...)`` or the teacher's model
                config (see :func:`resolve_teacher`).
            teacher_ckpt (str, optional): Checkpoint, stage-1 work dir or
                URL.

        Returns:
            nn.Module: The teacher in eval mode without gradients.
        """
        teacher, teacher_ckpt, config = resolve_teacher(teacher, teacher_ckpt)
        model = MODELS.build(teacher)
        cls._load_teacher(model, _resolve_checkpoint(teacher_ckpt, config),
                          config)
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
    def _load_teacher(teacher: nn.Module, filename: str,
                      config: Optional[str] = None):
        """Load ``filename`` strictly; a misfit names keys and shapes."""
        hint = (f'Pass the stage-1 checkpoint of {config or "the teacher"} '
                '(model.teacher_ckpt=<work dir or .pth>), or train it: '
                f'python tools/train.py {config or "<teacher config>"}')
        load_checkpoint_strictly(teacher, filename, 'teacher', hint)

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
        feats = self.extract_feat(inputs)
        # The head's public ``loss`` gives the hard-label loss; the logits it
        # computes on the way are taken with a forward hook (as mmrazor's
        # recorders do), so the head runs once, with one dropout mask, for
        # both terms.
        outputs = []
        handle = self.head.register_forward_hook(
            lambda module, args, output: outputs.append(output))
        try:
            losses = self.head.loss(feats, data_samples)
        finally:
            handle.remove()
        if len(outputs) != 1:
            raise RuntimeError(
                f'{type(self.head).__name__}.loss ran the head forward '
                f'{len(outputs)} times; the soft-target loss needs the one '
                'set of logits its hard-label loss used.')
        cls_score = outputs[0]
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
