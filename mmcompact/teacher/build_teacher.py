import os.path as osp
from typing import Optional, Tuple

import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint
from mmpretrain.registry import MODELS

from mmcompact.utils import (default_work_dir, load_checkpoint_strictly,
                             model_config)


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
            teacher_ckpt = default_work_dir(config)
    if teacher_ckpt is None:
        raise ValueError('teacher_ckpt is needed unless the teacher is '
                         'given as dict(cfg_path=<stage-1 config>)')
    return teacher, teacher_ckpt, config


def teacher_checkpoint_file(path: str,
                            teacher_config: Optional[str] = None) -> str:
    """Turn a stage-1 work dir or checkpoint path into a checkpoint file.

    A work dir is resolved through its ``last_checkpoint`` file (mmengine's
    ``find_latest_checkpoint``), so configs need not hard-code the epoch
    number of the teacher's final checkpoint.

    Args:
        path (str): Checkpoint file, stage-1 work dir or URL.
        teacher_config (str, optional): Names the stage-1 config in the
            messages.

    Returns:
        str: The checkpoint file (URLs as given).

    Raises:
        FileNotFoundError: if the work dir has no ``last_checkpoint`` or the
            file does not exist, with the command that trains it.
    """
    hint = ('Run stage 1 first: python tools/train.py '
            f'{teacher_config or "<teacher config>"}')
    if '://' in path:  # URLs and other mmengine checkpoint schemes
        return path
    if osp.isdir(path):
        if not osp.isfile(osp.join(path, 'last_checkpoint')):
            raise FileNotFoundError(
                f'No teacher checkpoint in "{path}" (no last_checkpoint '
                f'file). {hint}')
        path = find_latest_checkpoint(path)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Teacher checkpoint "{path}" does not exist. {hint}')
    return path


def build_teacher(teacher: dict,
                  teacher_ckpt: Optional[str] = None) -> nn.Module:
    """Build the teacher, load its stage-1 weights strictly, freeze it.

    Args:
        teacher (dict): ``dict(cfg_path=...)`` or the teacher's model
            config (see :func:`resolve_teacher`).
        teacher_ckpt (str, optional): Checkpoint, stage-1 work dir or URL.

    Returns:
        nn.Module: The teacher in eval mode without gradients.

    Raises:
        ValueError: if the checkpoint does not fit the teacher's model
            (keys and shapes named).
    """
    teacher, teacher_ckpt, config = resolve_teacher(teacher, teacher_ckpt)
    model = MODELS.build(teacher)
    hint = (f'Pass the stage-1 checkpoint of {config or "the teacher"} '
            '(model.teacher_ckpt=<work dir or .pth>), or train it: '
            f'python tools/train.py {config or "<teacher config>"}')
    load_checkpoint_strictly(
        model, teacher_checkpoint_file(teacher_ckpt, config), 'teacher', hint)
    model.requires_grad_(False)
    return model.eval()
