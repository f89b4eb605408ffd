import numpy as np
import pytest
import torch
from mmpretrain.registry import DATASETS
from mmpretrain.structures import DataSample
from PIL import Image

from mmcompact.teacher import (CachedTeacher, cache_mismatch,
                               check_draws_views, dataset_fingerprint,
                               default_cache_dir, save_teacher_cache)

REL = ['train/a/0.png', 'train/b/0.png']
VIEW = dict(type='PadCrop', crop_size=(8, 8), padding=0)
META = dict(teacher='t', data=dataset_fingerprint(REL, [0, 1]),
            teacher_ckpt='c', view=VIEW, num_views=4, image_shape=(8, 8),
            teacher_size=(8, 8))


@pytest.fixture
def cache(tmp_path):
    """Two images, four views each; view ``v`` has ``top = v``."""
    logits = np.arange(2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3)
    views = np.zeros((2, 4, 5), np.int64)
    views[..., 0] = np.arange(4)
    views[..., 2:4] = 8
    path = str(tmp_path / 'c.npz')
    save_teacher_cache(path, logits, views, REL, META)
    return dict(path=path, logits=logits, views=views)


def _samples(*idx, root='/data/'):
    return [DataSample(metainfo=dict(sample_idx=i, img_path=root + REL[i]))
            for i in idx]


def test_replay_picks_every_stored_view_with_its_logits(cache):
    teacher = CachedTeacher(cache['path'])
    torch.manual_seed(0)
    seen = set()
    for _ in range(40):
        samples = _samples(1, 0, 1, 0)
        views = teacher.replay(samples, (8, 8))
        assert views.shape == (4, 5) and views.dtype == torch.int64
        for sample, view in zip(samples, views):
            idx, v = sample.sample_idx, int(view[0])
            assert torch.equal(view, torch.from_numpy(cache['views'][idx, v]))
            assert torch.equal(sample.teacher_logits,
                               torch.from_numpy(cache['logits'][idx, v]))
            seen.add((idx, v))
    assert seen == {(i, v) for i in (0, 1) for v in range(4)}
    # Drawn from torch's generator: a seeded run repeats.
    torch.manual_seed(3)
    first = teacher.replay(_samples(0, 1), (8, 8))
    torch.manual_seed(3)
    assert torch.equal(first, teacher.replay(_samples(0, 1), (8, 8)))


def test_num_views_replays_the_first_stored_views(cache):
    teacher = CachedTeacher(cache['path'], num_views=2)
    assert teacher.num_views == 2
    torch.manual_seed(0)
    seen = {int(v) for _ in range(20)
            for v in teacher.replay(_samples(0, 1), (8, 8))[:, 0]}
    assert seen == {0, 1}
    for bad in (0, 5):
        with pytest.raises(ValueError,
                           match=f'teacher_cache_views={bad}.*holds 4'):
            CachedTeacher(cache['path'], num_views=bad)


def test_windows_separators_match_the_stored_paths(cache):
    teacher = CachedTeacher(cache['path'])
    samples = [DataSample(metainfo=dict(
        sample_idx=i, img_path='C:\\data\\' + REL[i].replace('/', '\\')))
        for i in (0, 1)]
    assert teacher.replay(samples, (8, 8)).shape == (2, 5)
    wrong = [DataSample(metainfo=dict(sample_idx=0,
                                      img_path='C:\\data\\train\\b\\0.png'))]
    with pytest.raises(ValueError, match='sample 0 is'):
        teacher.replay(wrong, (8, 8))


def test_other_samples_and_sizes_are_refused(cache):
    teacher = CachedTeacher(cache['path'])
    other = [DataSample(metainfo=dict(sample_idx=1,
                                      img_path='/data/train/a/0.png'))]
    with pytest.raises(ValueError, match=r'sample 1 is "/data/train/a/0\.png'
                       r'", the cache holds "train/b/0\.png" there \(2 '
                       r'images\)\. It was built for another data set'):
        teacher.replay(other, (8, 8))
    beyond = [DataSample(metainfo=dict(sample_idx=2,
                                       img_path='/data/train/c/0.png'))]
    with pytest.raises(ValueError, match='sample 2 .* holds "None"'):
        teacher.replay(beyond, (8, 8))
    with pytest.raises(ValueError, match="needs every sample's sample_idx "
                       r"and img_path; a sample has \['sample_idx'\]"):
        teacher.replay([DataSample(metainfo=dict(sample_idx=0))], (8, 8))
    with pytest.raises(ValueError, match=r'built on \(8, 8\) images, but the '
                       r'batch holds images of \(9, 8\)'):
        teacher.replay(_samples(0), (9, 8))
    assert repr(teacher) == \
        f"CachedTeacher(cache_file={cache['path']!r}, num_views=4)"


def test_the_data_set_is_checked_as_a_whole(cache, tmp_path):
    """Other images, order or image size: refused before any batch."""
    root = tmp_path / 'data'
    for rel in REL:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new('RGB', (8, 8)).save(root / rel)
    dataset = dict(type='InMemoryCustomDataset', data_root=str(root),
                   data_prefix='train', pipeline=[])
    teacher = CachedTeacher(cache['path'])
    teacher.check_dataset(DATASETS.build(dataset))
    with pytest.raises(ValueError, match=r'built on \(8, 8\) images, but '
                       r'".*train/a/0\.png" is \(4, 4\)'):
        teacher.check_dataset(DATASETS.build(dict(dataset, image_size=4)))
    Image.new('RGB', (8, 8)).save(root / 'train' / 'a' / '1.png')
    with pytest.raises(ValueError, match=r'sample 1 is ".*train/a/1\.png", '
                       r'the cache holds "train/b/0\.png" there; 3 images '
                       r'in the data set, 2 in the cache\. It was built for '
                       'another data set or split'):
        teacher.check_dataset(DATASETS.build(dataset))


def test_the_same_images_with_other_labels_are_refused(tmp_path):
    """Only the labels differ from the cached data set: refused."""
    root = tmp_path / 'data'
    for rel in REL:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new('RGB', (8, 8)).save(root / rel)
    dataset = DATASETS.build(dict(type='InMemoryCustomDataset',
                                  data_root=str(root), data_prefix='train',
                                  pipeline=[]))
    path = str(tmp_path / 'swapped.npz')
    save_teacher_cache(path, np.zeros((2, 1, 3)), np.zeros((2, 1, 5)), REL,
                       dict(META, num_views=1,
                            data=dataset_fingerprint(REL, [1, 0])))
    with pytest.raises(ValueError, match='same images with other labels'):
        CachedTeacher(path).check_dataset(dataset)


def test_cache_mismatch_names_what_differs():
    assert cache_mismatch(META, 't', VIEW) is None
    assert cache_mismatch(META, 't', VIEW, num_views=4) is None
    assert cache_mismatch(META, 'u', VIEW).startswith(
        'was built from another teacher (checkpoint "c"')
    other = dict(VIEW, padding=2)
    assert cache_mismatch(META, 't', other) == (
        f'holds views drawn as {VIEW}, but the data_preprocessor draws '
        f'{other}')
    assert cache_mismatch(META, 't', VIEW, num_views=8) == \
        'holds 4 views per image, not 8'
    assert cache_mismatch(META, 't', VIEW, data=META['data']) is None
    assert cache_mismatch(
        META, 't', VIEW, data=dataset_fingerprint(REL, [1, 0])) == \
        'was built on other images or labels'


def test_a_preprocessor_without_views_is_refused():
    class Plain:
        view = None

    with pytest.raises(ValueError, match=r'cfg\.py: the student.s '
                       r'data_preprocessor \(Plain\) draws no views'):
        check_draws_views(Plain(), 'cfg.py')
    viewed = Plain()
    viewed.view = VIEW
    check_draws_views(viewed, 'cfg.py')


def test_default_cache_dir_is_with_the_teacher(tmp_path):
    ckpt = tmp_path / 'stage1' / 'epoch_6.pth'
    ckpt.parent.mkdir()
    ckpt.write_bytes(b'')
    assert default_cache_dir(str(ckpt), 'joint') == str(ckpt.parent)
    assert default_cache_dir(str(ckpt.parent), 'joint') == str(ckpt.parent)
    assert default_cache_dir('https://host/t.pth', 'joint') == 'joint'
