"""Load a checkpoint only if it fits the model exactly.

mmengine and mmpretrain load checkpoints non-strictly (``load_from``,
``init_model``): a checkpoint of another network or class count loads what
matches, warns, and the rest keeps its random weights, so a test or an ONNX
export then runs a half-random model. :func:`load_checkpoint_strictly`
refuses such a checkpoint with one error naming the file, the first keys
and shapes that differ, and what to do.
"""
import os.path as osp
from typing import List

import torch.nn as nn
from mmengine.runner.checkpoint import _load_checkpoint


def _first(keys: List[str]) -> str:
    return ', '.join(keys[:5]) + (' ...' if len(keys) > 5 else '')


def _class_counts(model: nn.Module, own: dict, state_dict: dict,
                  mismatched: List[str], what: str) -> str:
    """A note on the class counts when only the head's class dim differs."""
    classes = getattr(getattr(model, 'head', None), 'num_classes', None)
    heads = [k for k in mismatched if k.startswith('head.')
             and own[k].shape[0] == classes
             and own[k].shape[1:] == state_dict[k].shape[1:]]
    if not heads or len(heads) != len(mismatched):
        return ''
    return (f' (the checkpoint predicts {state_dict[heads[0]].shape[0]} '
            f'classes, the {what} config {classes}: it was trained on '
            'another class count)')


def load_checkpoint_strictly(model: nn.Module, filename: str,
                             what: str = 'model', hint: str = '') -> dict:
    """Load ``filename`` into ``model`` strictly, or say why it does not fit.

    Args:
        model (nn.Module): The model, built from its config.
        filename (str): Checkpoint path or URL (any mmengine scheme).
        what (str): Names the model in messages: ``'teacher'`` gives
            "Teacher checkpoint ... does not fit the teacher model".
            Defaults to ``'model'`` ("Checkpoint ... the model").
        hint (str): What to do, appended to every message.

    Returns:
        dict: The checkpoint (its ``meta`` and all), loaded into ``model``.

    Raises:
        ValueError: if the file cannot be read as a checkpoint, or its
            state dict has missing or unexpected keys or other shapes.
    """
    name = '' if what == 'model' else f'{what} '
    try:
        # logger='current': the "Loads checkpoint" line goes to the run's
        # log, not bare to stdout.
        checkpoint = _load_checkpoint(filename, map_location='cpu',
                                      logger='current')
    # torch.load fails on a file that is not (all) a checkpoint with
    # whatever its unpickler meets (RuntimeError for a cut zip, EOFError,
    # KeyError for text, UnpicklingError for refused objects): name the
    # file. Downloads keep their own errors.
    except Exception as e:
        if not osp.isfile(filename):
            raise
        raise ValueError(
            f'Cannot read {name}checkpoint "{filename}" '
            f'({type(e).__name__}: {e}). It is cut short, not a PyTorch '
            'checkpoint, or holds objects that safe loading refuses. '
            f'{hint}'.rstrip()) from e
    state_dict = checkpoint.get('state_dict', checkpoint)
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    mismatched = sorted(
        k for k in set(own) & set(state_dict)
        if tuple(state_dict[k].shape) != tuple(own[k].shape))
    if missing or unexpected or mismatched:
        shapes = [f'{k}: checkpoint {tuple(state_dict[k].shape)} vs '
                  f'{what} {tuple(own[k].shape)}' for k in mismatched]
        note = _class_counts(model, own, state_dict, mismatched, what)
        raise ValueError(
            f'{(name + "checkpoint").capitalize()} "{filename}" does not fit '
            f'the {name}model{note}: {len(missing)} missing keys '
            f'[{_first(missing)}], {len(unexpected)} unexpected keys '
            f'[{_first(unexpected)}], {len(mismatched)} shape mismatches '
            f'[{_first(shapes)}]. {hint}'.rstrip())
    model.load_state_dict(state_dict, strict=True)
    return checkpoint
