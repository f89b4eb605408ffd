import os.path as osp

import numpy as np
import pytest

from mmcompact.teacher import (CachedTeacher, save_teacher_cache,
                               teacher_cache_meta)

from ..conftest import tiny_runner


def _replay_cache(runner, path, order=slice(None)):
    """Give the runner's model a teacher cache of its training set.

    Args:
        order (slice): Which cached paths, in which order (another order is
            another data set).
    """
    dataset = runner.train_loop.dataloader.dataset
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    rel = [osp.relpath(i['img_path'], dataset.data_root)
           for i in infos][order]
    labels = [int(i['gt_label']) for i in infos][order]
    n = len(rel)
    pre = runner.model.data_preprocessor
    save_teacher_cache(
        str(path), np.zeros((n, 2, 4), np.float32),
        np.tile([0, 0, 32, 32, 0], (n, 2, 1)), rel,
        teacher_cache_meta(
            teacher='t', teacher_ckpt='c', rel_paths=rel, labels=labels,
            view=pre.view, num_views=2, seed=0,
            image_shape=infos[0]['img'].shape[:2], teacher_size=(32, 32),
            amp=False))
    pre.teacher_cache = CachedTeacher(str(path))


def test_a_cache_of_the_training_set_trains(tmp_path, tiny_data):
    runner = tiny_runner(tmp_path / 'work', tiny_data, max_epochs=1,
                         val_interval=None)
    _replay_cache(runner, tmp_path / 'c.npz')
    runner.train()
    assert runner.iter == 3  # 12 images, batch 4


@pytest.mark.parametrize('order,match', [
    (slice(None, None, -1), r'does not match the data set: sample 0 is '
     r'".*a/0\.png", the cache holds "d/2\.png" there; 12 images in the data '
     r'set, 12 in the cache'),
    (slice(0, 11), r'does not match the data set: 12 images in the data '
     r'set, 11 in the cache'),
], ids=['other_order', 'fewer_images'])
def test_another_data_set_is_refused_before_training(tmp_path, tiny_data,
                                                     order, match):
    runner = tiny_runner(tmp_path / 'work', tiny_data, max_epochs=1,
                         val_interval=None)
    _replay_cache(runner, tmp_path / 'c.npz', order)
    with pytest.raises(ValueError, match=match):
        runner.train()
    assert runner.iter == 0  # not a single step
