import os.path as osp

import numpy as np
import pytest

from mmcompact.utils import (dataset_fingerprint, load_teacher_cache,
                             load_teacher_cache_meta, save_teacher_cache)
from mmcompact.utils.teacher_cache import CACHE_VERSION

META = dict(teacher='fp', data='d', teacher_ckpt='t',
            view=dict(type='ResizedCrop', scale=(0.25, 1.0),
                      ratio=(3 / 4, 4 / 3)),
            image_shape=(40, 40), teacher_size=(40, 40))


def test_round_trip_in_storage_types(tmp_path):
    path = str(tmp_path / 'c.npz')
    logits = np.linspace(-3, 3, 2 * 3 * 4).reshape(2, 3, 4)
    views = np.arange(2 * 3 * 5).reshape(2, 3, 5)
    save_teacher_cache(path, logits, views, ['a/0.png', 'b/1.png'], META)
    cache = load_teacher_cache(path)
    assert cache['logits'].dtype == np.float16
    assert np.allclose(cache['logits'], logits, atol=2e-3)
    assert cache['views'].dtype == np.int16
    assert np.array_equal(cache['views'], views)
    assert list(cache['rel_paths']) == ['a/0.png', 'b/1.png']
    assert cache['meta'] == dict(META, version=CACHE_VERSION)


def test_meta_is_read_alone(tmp_path):
    path = str(tmp_path / 'c.npz')
    save_teacher_cache(path, np.zeros((1, 1, 2)), np.zeros((1, 1, 5)),
                       ['a.png'], META)
    assert load_teacher_cache_meta(path) == dict(META, version=CACHE_VERSION)
    # Written to a temporary file, then renamed.
    assert not osp.exists(path + '.tmp.npz')


def test_missing_or_other_version_is_refused(tmp_path):
    missing = str(tmp_path / 'missing.npz')
    for load in (load_teacher_cache, load_teacher_cache_meta):
        with pytest.raises(FileNotFoundError,
                           match='missing.npz.*tools/cache_teacher.py'):
            load(missing)
    old = str(tmp_path / 'old.npz')
    np.savez(old, logits=np.zeros((1, 1, 2)), views=np.zeros((1, 1, 3)),
             rel_paths=np.asarray(['a.png']),
             meta=np.asarray(repr(dict(META, version=1))))
    for load in (load_teacher_cache, load_teacher_cache_meta):
        with pytest.raises(ValueError, match='has version 1, expected '
                           f'{CACHE_VERSION}; rebuild it'):
            load(old)


def test_dataset_fingerprint_follows_paths_labels_and_order():
    base = dataset_fingerprint(['a/0.png', 'b/0.png'], [0, 1])
    assert len(base) == 64
    assert base == dataset_fingerprint(('a/0.png', 'b/0.png'),
                                       np.array([0, 1]))
    assert base != dataset_fingerprint(['a/0.png', 'b/0.png'], [0, 0])
    assert base != dataset_fingerprint(['b/0.png', 'a/0.png'], [1, 0])
    assert base != dataset_fingerprint(['a/0.png', 'b/1.png'], [0, 1])
