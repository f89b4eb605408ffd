import hashlib
from typing import Mapping

import torch
from mmengine.runner.checkpoint import _load_checkpoint

from mmcompact.utils import build_data_preprocessor


def _fingerprint(state_dict: Mapping[str, torch.Tensor],
                 preprocessor) -> str:
    digest = hashlib.sha256()
    for key, value in sorted(state_dict.items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    for name in ('mean', 'std', 'size'):
        value = getattr(preprocessor, name, None)
        if isinstance(value, torch.Tensor):
            value = value.flatten().tolist()
        digest.update(repr(value).encode())
    return digest.hexdigest()


def teacher_fingerprint(teacher: torch.nn.Module) -> str:
    """SHA-256 of the teacher's weights and input normalisation/size.

    Args:
        teacher (nn.Module): The stage-1 classifier, before its BatchNorm
            layers are folded (folding changes the weights).

    Returns:
        str: The hex digest a teacher cache stores.
    """
    return _fingerprint(teacher.state_dict(), teacher.data_preprocessor)


def checkpoint_fingerprint(model_cfg: dict, checkpoint: str) -> str:
    """:func:`teacher_fingerprint` of a checkpoint, without the teacher.

    A checkpoint that fits its model strictly holds exactly the model's
    state dict, so only the data preprocessor is built: deciding whether a
    cache is current costs a checkpoint read, not a teacher.

    Args:
        model_cfg (dict): The teacher's model config.
        checkpoint (str): Its stage-1 checkpoint file.

    Returns:
        str: The same digest as :func:`teacher_fingerprint` of the teacher
        built from ``model_cfg`` with ``checkpoint`` loaded.
    """
    # logger='current': the "Loads checkpoint" line goes to the log.
    state = _load_checkpoint(checkpoint, map_location='cpu',
                             logger='current')
    return _fingerprint(state.get('state_dict', state),
                        build_data_preprocessor(model_cfg))
