import os.path as osp

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmcompact.teacher import (dataset_fingerprint, load_teacher_cache,
                               load_teacher_cache_meta, save_teacher_cache)
from mmcompact.teacher.cached_teacher import CACHE_VERSION, arrays_checksum

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
    assert cache['meta'] == dict(META, version=CACHE_VERSION,
                                 checksum=arrays_checksum(cache))


def test_meta_is_read_alone(tmp_path):
    path = str(tmp_path / 'c.npz')
    save_teacher_cache(path, np.zeros((1, 1, 2)), np.zeros((1, 1, 5)),
                       ['a.png'], META)
    meta = load_teacher_cache_meta(path)
    assert meta == dict(META, version=CACHE_VERSION,
                        checksum=meta['checksum'])
    assert len(meta['checksum']) == 64
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


def _write(path, n=3, views=2, classes=4):
    rng = np.random.default_rng(0)
    save_teacher_cache(str(path), rng.normal(size=(n, views, classes)),
                       rng.integers(-4, 40, (n, views, 5)),
                       [f'c{i % 2}/{i}.png' for i in range(n)], META)
    return str(path)


def _refused(path, match):
    """Both loaders refuse ``path``, naming it and the rebuild command."""
    for load in (load_teacher_cache, load_teacher_cache_meta):
        with pytest.raises(ValueError, match=match) as err:
            load(path)
        assert f'"{path}"' in str(err.value)
        assert 'tools/cache_teacher.py' in str(err.value)


def test_unreadable_files_are_refused(tmp_path):
    data = open(_write(tmp_path / 'c.npz'), 'rb').read()
    (tmp_path / 'cut.npz').write_bytes(data[:len(data) // 2])
    _refused(str(tmp_path / 'cut.npz'), r'cannot be read \(BadZipFile: .*'
             'cut short or damaged')
    (tmp_path / 'empty.npz').write_bytes(b'')
    _refused(str(tmp_path / 'empty.npz'), r'cannot be read \(EOFError')
    (tmp_path / 'text.npz').write_text('logits')
    _refused(str(tmp_path / 'text.npz'), 'cannot be read')
    np.save(tmp_path / 'one.npy', np.zeros(3))
    _refused(str(tmp_path / 'one.npy'), 'a single array, not an .npz')
    np.savez(tmp_path / 'partial.npz', logits=np.zeros((1, 1, 2)))
    _refused(str(tmp_path / 'partial.npz'), 'no views, rel_paths, meta in it')


def test_changed_or_inconsistent_arrays_are_refused(tmp_path):
    path = _write(tmp_path / 'c.npz')
    with np.load(path) as data:
        members = dict(data)
    # Re-saved with one logit changed: the checksum no longer fits.
    changed = dict(members, logits=members['logits'].copy())
    changed['logits'][1, 0, 2] += 1
    np.savez(tmp_path / 'changed.npz', **changed)
    with pytest.raises(ValueError, match='was changed after it was written'):
        load_teacher_cache(str(tmp_path / 'changed.npz'))
    # Cut to fewer images in one array only.
    cut = dict(members, views=members['views'][:2])
    np.savez(tmp_path / 'shapes.npz', **cut)
    with pytest.raises(ValueError, match=r'inconsistent shapes \(logits '
                       r'\(3, 2, 4\), views \(2, 2, 5\), rel_paths \(3,\)'):
        load_teacher_cache(str(tmp_path / 'shapes.npz'))


def test_cache_without_checksum_is_refused(tmp_path):
    path = _write(tmp_path / 'c.npz')
    with np.load(path) as data:
        members = dict(data)
    meta = load_teacher_cache_meta(path)
    del meta['checksum']
    members['meta'] = np.asarray(repr(meta))
    np.savez(tmp_path / 'old.npz', **members)
    with pytest.raises(ValueError, match='no checksum in its meta.*Rebuild'):
        load_teacher_cache(str(tmp_path / 'old.npz'))


# Relative paths: ASCII and not, spaces, dots, several levels.
paths = st.text('ab_Z09 .-/éßЖ中', min_size=1, max_size=12)


@given(n=st.integers(1, 6), views=st.integers(1, 4),
       classes=st.integers(1, 12), seed=st.integers(0, 2**32 - 1),
       rel=st.lists(paths, min_size=6, max_size=6))
def test_any_cache_round_trips(tmp_path_factory, n, views, classes, seed,
                               rel):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 10, (n, views, classes))
    boxes = rng.integers(-2**15, 2**15, (n, views, 5))
    path = str(tmp_path_factory.mktemp('cache') / 'c.npz')
    save_teacher_cache(path, logits, boxes, rel[:n], META)
    cache = load_teacher_cache(path)
    assert np.array_equal(cache['logits'], logits.astype(np.float16))
    assert np.array_equal(cache['views'], boxes)
    assert list(cache['rel_paths']) == rel[:n]
    meta = dict(cache['meta'])
    assert meta.pop('checksum') == arrays_checksum(cache)
    assert meta == dict(META, version=CACHE_VERSION)


@given(n=st.integers(1, 4), classes=st.integers(1, 8), data=st.data())
def test_damaged_cache_is_refused_or_intact(tmp_path_factory, n, classes,
                                            data):
    """A cut file is refused; a changed byte is refused or changed nothing
    (zip fields that no reader checks): never different arrays."""
    path = tmp_path_factory.mktemp('cache') / 'c.npz'
    _write(path, n=n, classes=classes)
    whole = load_teacher_cache(str(path))
    raw = path.read_bytes()
    cut = data.draw(st.integers(0, len(raw) - 1), label='cut at')
    path.write_bytes(raw[:cut])
    with pytest.raises(ValueError, match='cannot be read'):
        load_teacher_cache(str(path))
    at = data.draw(st.integers(0, len(raw) - 1), label='changed byte')
    flip = data.draw(st.integers(1, 255), label='xor')
    changed = bytearray(raw)
    changed[at] ^= flip
    path.write_bytes(bytes(changed))
    try:
        cache = load_teacher_cache(str(path))
    except ValueError as e:
        assert f'"{path}"' in str(e)
        return
    for key in ('logits', 'views', 'rel_paths'):
        assert np.array_equal(cache[key], whole[key]), key
    assert cache['meta'] == whole['meta']
