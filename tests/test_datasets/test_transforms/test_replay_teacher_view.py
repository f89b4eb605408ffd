import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmpretrain.registry import DATASETS, TRANSFORMS
from PIL import Image

import mmcompact  # noqa: F401
from mmcompact.datasets import ReplayTeacherView
from mmcompact.utils import save_teacher_cache

PACK = dict(type='PackInputs',
            algorithm_keys=['teacher_logits', 'teacher_view'])
META = dict(teacher='t', data='d', teacher_ckpt='c',
            view=dict(type='PadCrop', crop_size=(8, 8), padding=0),
            image_shape=(8, 8), teacher_size=(8, 8))


@pytest.fixture
def cache(tmp_path):
    """Two images, four views each; view ``v`` has ``top = v``."""
    rel = ['train/a/0.png', 'train/b/0.png']
    logits = np.arange(2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3)
    views = np.zeros((2, 4, 5), np.int64)
    views[..., 0] = np.arange(4)
    views[..., 2:4] = 8
    path = str(tmp_path / 'c.npz')
    save_teacher_cache(path, logits, views, rel, META)
    return dict(path=path, logits=logits, views=views)


def test_replay_picks_every_stored_view(cache):
    pipeline = Compose([
        TRANSFORMS.build(dict(type='ReplayTeacherView',
                              cache_file=cache['path'])),
        TRANSFORMS.build(PACK)
    ])
    img = np.zeros((8, 8, 3), np.uint8)
    np.random.seed(0)
    seen = set()
    for _ in range(40):
        out = pipeline(dict(img=img.copy(), sample_idx=1, gt_label=1,
                            img_path='/data/train/b/0.png'))
        sample = out['data_samples']
        v = int(sample.teacher_view[0])
        assert np.array_equal(sample.teacher_view, cache['views'][1, v])
        assert np.array_equal(sample.teacher_logits, cache['logits'][1, v])
        # The image itself is left to the batch preprocessor.
        assert torch.equal(out['inputs'], torch.zeros(3, 8, 8,
                                                      dtype=torch.uint8))
        seen.add(v)
    assert seen == {0, 1, 2, 3}


def test_other_samples_are_refused(cache):
    replay = ReplayTeacherView(cache['path'])
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=r'sample 1 is "/data/train/a/0\.png'
                       r'", the cache holds "train/b/0\.png"'):
        replay(dict(img=img, sample_idx=1, img_path='/data/train/a/0.png'))
    with pytest.raises(ValueError, match='sample 2 .* holds "None"'):
        replay(dict(img=img, sample_idx=2, img_path='/data/train/c/0.png'))
    with pytest.raises(ValueError, match=r'built on \(8, 8\) images.*'
                       r'is \(9, 8\)'):
        replay(dict(img=np.zeros((9, 8, 3), np.uint8), sample_idx=0,
                    img_path='/data/train/a/0.png'))
    assert repr(replay) == \
        f"ReplayTeacherView(cache_file={cache['path']!r}, num_views=4)"


def test_the_data_set_is_checked_when_it_is_built(cache, tmp_path):
    """Other images or image sizes are refused before any sample is drawn."""
    root = tmp_path / 'data'
    for rel in ('train/a/0.png', 'train/b/0.png'):
        os.makedirs(root / osp.dirname(rel), exist_ok=True)
        Image.new('RGB', (8, 8)).save(root / rel)
    dataset = dict(type='InMemoryCustomDataset', data_root=str(root),
                   data_prefix='train',
                   pipeline=[dict(type='ReplayTeacherView',
                                  cache_file=cache['path'])])
    assert len(DATASETS.build(dataset)) == 2
    with pytest.raises(ValueError, match=r'built on \(8, 8\) images, but '
                       r'".*train/a/0\.png" is \(4, 4\)'):
        DATASETS.build(dict(dataset, image_size=4))
    Image.new('RGB', (8, 8)).save(root / 'train' / 'b' / '1.png')
    with pytest.raises(ValueError, match=r'does not match the data set: 3 '
                       r'images in the data set, 2 in the cache\. It was '
                       'built for another data set or split'):
        DATASETS.build(dataset)


def test_num_views_replays_the_first_stored_views(cache):
    replay = ReplayTeacherView(cache['path'], num_views=2)
    img = np.zeros((8, 8, 3), np.uint8)
    np.random.seed(0)
    seen = {int(replay.transform(dict(
        img=img, sample_idx=0, img_path='/data/train/a/0.png'))
        ['teacher_view'][0]) for _ in range(40)}
    assert seen == {0, 1}
    for bad in (0, 5):
        with pytest.raises(ValueError, match=f'num_views={bad}.*holds 4'):
            ReplayTeacherView(cache['path'], num_views=bad)
