"""Crafted pickles in checkpoints and teacher caches are refused unrun.

A pickle can name any importable callable to be called while loading. The
payload here calls ``open(marker, 'w')``, so running it leaves a file: the
loaders must raise and the marker must not exist.
"""
import builtins
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

import mmcompact  # noqa: F401  (registers the checkpoint allow-list)
from mmcompact.teacher import (build_teacher, load_teacher_cache,
                               load_teacher_cache_meta)
from mmcompact.teacher.cached_teacher import CACHE_VERSION, arrays_checksum

from ...conftest import TOY_TEACHER


class Payload:
    """Unpickling this object creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return builtins.open, (self.marker, 'w')


@pytest.fixture
def crafted_checkpoint(tmp_path):
    """A real teacher state dict with the payload in its meta."""
    model = MODELS.build(copy.deepcopy(TOY_TEACHER))
    marker = tmp_path / 'pwned'
    path = tmp_path / 'crafted.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'note': Payload(marker)}}, path)
    return dict(path=str(path), marker=marker, model=model)


def test_checkpoint_payload_is_refused(crafted_checkpoint):
    path, marker = crafted_checkpoint['path'], crafted_checkpoint['marker']
    model = crafted_checkpoint['model']
    # mmengine's loader (Runner load_from / resume, tools/test.py) ...
    with pytest.raises(Exception, match='Weights only load failed'):
        load_checkpoint(model, path, map_location='cpu')
    # ... and the stage-2 teacher loader.
    with pytest.raises(Exception, match='Weights only load failed'):
        build_teacher(copy.deepcopy(TOY_TEACHER), path)
    assert not marker.exists()


def test_the_payload_is_live(crafted_checkpoint):
    """Guards the premise: a full unpickle runs the payload."""
    torch.load(crafted_checkpoint['path'], weights_only=False)
    assert crafted_checkpoint['marker'].exists()


def _write_cache(path, **arrays):
    members = dict(
        logits=np.zeros((2, 1, 4), np.float16),
        views=np.zeros((2, 1, 5), np.int16),
        rel_paths=np.asarray(['a/0.png', 'b/1.png']))
    meta = dict(version=CACHE_VERSION, checksum=arrays_checksum(members))
    members['meta'] = np.asarray(repr(meta))
    members.update(arrays)
    np.savez(path, **members)  # np.savez pickles object arrays
    return str(path)


@pytest.mark.parametrize('member', ['meta', 'logits', 'rel_paths'])
def test_cache_object_array_is_refused(tmp_path, member):
    marker = tmp_path / 'pwned'
    crafted = np.empty(1, dtype=object)
    crafted[0] = Payload(marker)
    path = _write_cache(tmp_path / 'cache.npz', **{member: crafted})
    with pytest.raises(ValueError, match='allow_pickle=False'):
        load_teacher_cache(path)
    if member == 'meta':
        with pytest.raises(ValueError, match='allow_pickle=False'):
            load_teacher_cache_meta(path)
    assert not marker.exists()


def test_a_plain_cache_loads(tmp_path):
    """Guards the premise: the crafted file differs only in the payload."""
    cache = load_teacher_cache(_write_cache(tmp_path / 'cache.npz'))
    assert cache['logits'].shape == (2, 1, 4)
    assert osp.basename(cache['rel_paths'][1]) == '1.png'
