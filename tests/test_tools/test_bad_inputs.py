"""Bad inputs stop tools/train.py before training, naming what to fix.

The rows of docs/troubleshooting.md: ``tools/train.py`` (its steps,
:mod:`mmcompact.apis.training`, in this process) runs the
scene configs on tiny generated class folders (``DATA_ROOT`` and
``NUM_CLASSES``, as a user does) with one thing broken. Each run must end
in one error whose message names the file, key or shape, raised before the
train loop ran (no ``run_epoch`` in its traceback) and before any
checkpoint was written.
"""
import io
import os
import os.path as osp
import re
import shutil
import sys
import traceback
from collections import Counter

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

import mmcompact.apis.training
from mmcompact.teacher import load_teacher_cache
from mmcompact.utils import model_config

from ..conftest import (REPO_ROOT, data_options, make_cifar_folder,
                        make_class_folders, save_checkpoint, smooth_image,
                        write_small_teacher_config)
from .conftest import load_script

COMPACT = 'compact_vgg-s4-96px_1xb128_intel_scenes.py'
JOINT = 'joint_effnet-lite0_vgg-s4_1xb128_intel_scenes.py'
CACHED = 'joint_effnet-lite0_vgg-s4_1xb128_intel_scenes_cached.py'
TEACHER = 'teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py'
CLASSES = ('beach', 'forest', 'street')
# One short epoch (one pass); the student sees 32 px views (fast on a
# CPU), in batches of 3 (no batch of one for its BatchNorm at 1x1 px).
SHORT = ('train_cfg.max_epochs=1', 'train_dataloader.sampler.min_length=0',
         'train_dataloader.batch_size=3', 'val_dataloader.batch_size=3',
         'data_preprocessor.size=32')


@pytest.fixture(scope='module')
def train_tool():
    """The steps of tools/train.py."""
    return mmcompact.apis.training


@pytest.fixture(scope='module')
def cache_tool():
    return load_script('tools/cache_teacher.py')


@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    """``train/<class>/<i>.jpg`` (3 a class) and ``test/...`` (2 a class)."""
    root = tmp_path_factory.mktemp('scenes')
    for split, count, seed in (('train', 3, 0), ('test', 2, 1)):
        make_class_folders(root / split, CLASSES, per_class=count,
                           size=(40, 52), ext='jpg', seed=seed)
    return str(root)


@pytest.fixture
def broken(scenes, tmp_path):
    """A copy of the scenes to break."""
    return shutil.copytree(scenes, tmp_path / 'broken')


def run_train(train_tool, config, work_dir, *options, data_root,
              num_classes=len(CLASSES), short=SHORT):
    """``DATA_ROOT=.. NUM_CLASSES=.. python tools/train.py CONFIG ...``."""
    # A logger and visualizer of its own (mmengine names them after the
    # config and the second the run started).
    name = f'{osp.basename(osp.dirname(work_dir))}_{osp.basename(work_dir)}'
    argv = [osp.join(REPO_ROOT, 'configs', config), '--work-dir',
            str(work_dir), '--cfg-options', *short, *options,
            f'experiment_name={name}']
    with pytest.MonkeyPatch.context() as env:
        env.setenv('DATA_ROOT', str(data_root))
        env.setenv('NUM_CLASSES', str(num_classes))
        args = train_tool.parse_train_args(argv)
        return train_tool.train(
            train_tool.merge_train_args(Config.fromfile(args.config), args))


def refused(train_tool, config, work_dir, *options, match, error=ValueError,
            **kwargs):
    """Run; the error's message; fails unless it came before training."""
    with pytest.raises(error, match=match) as info:
        run_train(train_tool, config, work_dir, *options, **kwargs)
    frames = {frame.name for frame in traceback.extract_tb(info.tb)}
    assert not frames & {'run_epoch', 'run_iter'}, 'raised while training'
    written = [f for _, _, files in os.walk(work_dir) for f in files
               if f.endswith('.pth')]
    assert not written
    return str(info.value)


def jpeg_bytes(seed=0):
    out = io.BytesIO()
    Image.fromarray(smooth_image(40, 52, np.random.default_rng(seed))).save(
        out, 'JPEG')
    return out.getvalue()


# Each breaks a copy of the scenes and returns what the error must say.
def corrupt_jpeg(root):
    data = jpeg_bytes()
    garbage = np.random.default_rng(0).bytes(len(data))
    (root / 'train/beach/0.jpg').write_bytes(
        data[:len(data) // 3] + garbage + b'\xff\xd9')
    return r'Cannot decode image ".*train/beach/0\.jpg": OpenCV does not'


def cut_jpeg(root):
    path = root / 'train/forest/1.jpg'
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return (r'Cannot decode image ".*train/forest/1\.jpg": a JPEG file cut '
            r'short \(Pillow: ')


def not_an_image(root):
    (root / 'train/street/page.jpg').write_text('<html>404</html>')
    return r'Cannot decode image ".*train/street/page\.jpg": OpenCV does not'


def empty_file(root):
    (root / 'test/beach/empty.png').write_bytes(b'')
    return r'Cannot decode image ".*test/beach/empty\.png": an empty file'


def empty_class_folder(root):
    (root / 'train/zebra').mkdir()
    return r'the class folders ".*train/zebra" hold no images'


def other_test_classes(root):
    (root / 'test/street').rename(root / 'test/road')
    return (r'class folders of ".*test" differ from those of ".*train" '
            r'\(not in train: "road"; missing here: "street"\)')


def no_class_folders(root):
    train = root / 'train'
    for name in CLASSES:
        for image in (train / name).iterdir():
            image.rename(train / f'{name}_{image.name}')
        (train / name).rmdir()
    return r'".*train" has no class folders \(9 files directly in it\)'


@pytest.mark.parametrize('breakage', [
    corrupt_jpeg, cut_jpeg, not_an_image, empty_file, empty_class_folder,
    other_test_classes, no_class_folders
], ids=lambda f: f.__name__)
def test_broken_class_folders(train_tool, broken, tmp_path, breakage):
    match = breakage(broken)
    refused(train_tool, COMPACT, tmp_path / 'work', data_root=broken,
            match=match)


def test_every_undecodable_image_in_one_error(train_tool, broken, tmp_path):
    for breakage in (corrupt_jpeg, cut_jpeg, not_an_image):
        breakage(broken)
    message = refused(train_tool, COMPACT, tmp_path / 'work',
                      data_root=broken, match='3 of 10 images cannot be '
                      'decoded')
    for name in ('beach/0.jpg', 'forest/1.jpg', 'street/page.jpg'):
        assert name in message


def test_wrong_data_root(train_tool, tmp_path):
    refused(train_tool, COMPACT, tmp_path / 'work',
            data_root=tmp_path / 'photos', error=FileNotFoundError,
            match=r'no folder ".*photos/train".*set data_root \(the '
            'DATA_ROOT environment variable')


def test_class_count_differs_from_folders(train_tool, scenes, tmp_path):
    refused(train_tool, COMPACT, tmp_path / 'work', data_root=scenes,
            num_classes=4, match=r"has 3 classes \('beach', 'forest', "
            r"'street'\), but num_classes=4\. Set NUM_CLASSES")


def test_cifar_image_of_another_size(train_tool, tmp_path):
    root = make_cifar_folder(tmp_path / 'cifar10', per_class=(2, 1))
    small = osp.join(root, 'train', 'cat', '0001.jpg')
    Image.fromarray(smooth_image(24, 24, np.random.default_rng(0))).save(
        small)
    refused(train_tool, 'compact_resnet20_1xb128_cifar10.py',
            tmp_path / 'work', data_root=root,
            short=['train_cfg.max_epochs=1', *data_options(root)],
            match=rf'1 of 20 images are not 32x32 \("{re.escape(small)}" '
            r'24x24\).*set image_size=32')


def test_odd_images_are_converted_and_train(train_tool, broken, tmp_path):
    """Other modes and depths, a tiny image, a JPEG with data after its
    end and a note: converted, enlarged, read and skipped, not refused."""
    folder = broken / 'train' / 'beach'
    rng = np.random.default_rng(2)
    rgb = smooth_image(30, 40, rng)
    for mode in ('L', 'LA', 'P', 'RGBA', '1'):
        Image.fromarray(rgb).convert(mode).save(folder / f'mode_{mode}.png')
    Image.fromarray(rgb).convert('CMYK').save(folder / 'cmyk.jpg')
    Image.fromarray(rgb).convert('L').save(folder / 'gray.jpg')
    Image.fromarray(rgb[..., 0].astype(np.uint16) * 257).save(
        folder / 'gray16.png')
    cv2.imwrite(str(folder / 'bgr16.png'),
                rgb[..., ::-1].astype(np.uint16) * 257)
    # Smaller than the stored 128 px square and the 32 px student input.
    Image.fromarray(smooth_image(6, 8, rng)).save(folder / 'tiny.png')
    (folder / 'motion.jpg').write_bytes(jpeg_bytes() + b'\0\0ftypmp42')
    (folder / 'notes.txt').write_text('taken at the beach')
    work = tmp_path / 'work'
    runner = run_train(train_tool, COMPACT, work, data_root=broken)
    dataset = runner.train_dataloader.dataset
    assert len(dataset) == 9 + 11
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert info['img'].shape == (128, 128, 3), info['img_path']
    assert osp.isfile(work / 'epoch_1.pth')
    log = next(osp.join(d, f) for d, _, files in os.walk(work)
               for f in files if f.endswith('.log'))
    with open(log) as f:
        assert '1 without an image extension (.txt: 1, e.g. "notes.txt")' \
            in f.read()


@pytest.fixture(scope='module')
def stage1(scenes, tmp_path_factory):
    """The scene teacher config at 48 px, and checkpoints: for this data
    set, of a retrained teacher, of 4 classes, of the student, cut short,
    and a text file."""
    folder = tmp_path_factory.mktemp('stage1')
    config = write_small_teacher_config(folder, TEACHER)
    out = dict(config=config)
    models = (('teacher', config, 3, 0), ('retrained', config, 3, 1),
              ('four_classes', config, 4, 0),
              ('student', osp.join(REPO_ROOT, 'configs', COMPACT), 3, 0))
    for name, path, classes, seed in models:
        with pytest.MonkeyPatch.context() as env:
            env.setenv('NUM_CLASSES', str(classes))
            model = model_config(Config.fromfile(path))
        out[name] = save_checkpoint(model, folder / f'{name}.pth', seed)
    with open(out['teacher'], 'rb') as f:
        data = f.read()
    out['cut'] = str(folder / 'cut.pth')
    with open(out['cut'], 'wb') as f:
        f.write(data[:len(data) // 2])
    out['text'] = str(folder / 'notes.pth')
    with open(out['text'], 'w') as f:
        f.write('the teacher is in work_dirs/teacher')
    return out


def teacher_options(stage1, ckpt='teacher'):
    return [f'model.teacher.cfg_path={stage1["config"]}',
            f'model.teacher_ckpt={stage1[ckpt]}']


@pytest.mark.parametrize('ckpt,match', [
    ('student', r'does not fit the teacher model: \d+ missing keys '
     r'\[backbone\.'),
    ('four_classes', r'the checkpoint predicts 4 classes, the teacher '
     r'config 3.*head\.fc\.weight: checkpoint \(4, 1280\) vs teacher '
     r'\(3, 1280\)'),
    ('cut', r'Cannot read teacher checkpoint ".*cut\.pth" .*cut short'),
    ('text', r'Cannot read teacher checkpoint ".*notes\.pth" '),
], ids=['student', 'four_classes', 'cut', 'text'])
def test_teacher_checkpoint_that_does_not_fit(train_tool, scenes, stage1,
                                              tmp_path, ckpt, match):
    message = refused(train_tool, JOINT, tmp_path / 'work',
                      *teacher_options(stage1, ckpt), data_root=scenes,
                      match=match)
    # What to do: the stage-1 command.
    assert f'python tools/train.py {stage1["config"]}' in message


def run_cache_tool(cache_tool, scenes, out, *options):
    """``python tools/cache_teacher.py JOINT --views 2 --out OUT ...``."""
    saved = sys.argv
    sys.argv = ['cache_teacher.py', osp.join(REPO_ROOT, 'configs', JOINT),
                '--views', '2', '--out', str(out), '--cfg-options',
                *options]
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv('DATA_ROOT', scenes)
            env.setenv('NUM_CLASSES', str(len(CLASSES)))
            cache_tool.main()
    finally:
        sys.argv = saved
    return str(out)


@pytest.fixture(scope='module')
def caches(cache_tool, scenes, stage1, tmp_path_factory):
    """The tool's cache of the train split, one of the test split, one cut
    short and one with changed logits."""
    folder = tmp_path_factory.mktemp('caches')
    options = teacher_options(stage1)
    out = dict(
        train=run_cache_tool(cache_tool, scenes, folder / 'train.npz',
                             *options),
        test=run_cache_tool(cache_tool, scenes, folder / 'test.npz',
                            *options,
                            'train_dataloader.dataset.data_prefix=test'))
    with open(out['train'], 'rb') as f:
        data = f.read()
    out['cut'] = str(folder / 'cut.npz')
    with open(out['cut'], 'wb') as f:
        f.write(data[:len(data) // 2])
    with np.load(out['train']) as archive:
        members = dict(archive)
    members['logits'] = members['logits'] + np.float16(1)
    out['edited'] = str(folder / 'edited.npz')
    np.savez(out['edited'], **members)
    return out


def cache_options(stage1, cache, ckpt='teacher'):
    return [*teacher_options(stage1, ckpt), f'model.teacher_cache={cache}']


def test_cached_config_trains_on_its_cache(train_tool, scenes, stage1,
                                           caches, tmp_path):
    """The premise of the cache rows: the intact cache trains."""
    assert load_teacher_cache(caches['train'])['logits'].shape == (9, 2, 3)
    run_train(train_tool, CACHED, tmp_path / 'work',
              *cache_options(stage1, caches['train']), data_root=scenes)
    assert osp.isfile(tmp_path / 'work' / 'epoch_1.pth')


@pytest.mark.parametrize('cache,ckpt,match', [
    ('cut', 'teacher', r'Teacher cache ".*cut\.npz" cannot be read '
     r'\(BadZipFile.*Rebuild it: python tools/cache_teacher\.py'),
    ('edited', 'teacher', r'Teacher cache ".*edited\.npz" was changed after '
     'it was written'),
    ('test', 'teacher', r'Teacher cache ".*test\.npz" does not match the '
     r'data set: sample 0 is ".*train/beach/0\.jpg", the cache holds '
     r'"test/beach/0\.jpg" there; 9 images in the data set, 6 in the cache\. '
     'It was built for another data set or split'),
    ('train', 'retrained', r'Teacher cache ".*train\.npz" was built from '
     'another teacher'),
], ids=['cut', 'edited', 'test_split', 'other_teacher'])
def test_cache_that_does_not_fit(train_tool, scenes, stage1, caches,
                                 tmp_path, cache, ckpt, match):
    refused(train_tool, CACHED, tmp_path / 'work',
            *cache_options(stage1, caches[cache], ckpt), data_root=scenes,
            match=match)


def test_the_cache_covers_the_unlabelled_transfer_set(
        train_tool, cache_tool, broken, stage1, tmp_path):
    """``<root>/unlabeled/``: cached with the labelled images, trained on
    with soft targets only; another unlabelled set is refused."""
    rng = np.random.default_rng(3)
    for rel in ('a.jpg', 'trip/b.png', 'trip/day2/c.jpg'):
        path = broken / 'unlabeled' / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(smooth_image(36, 48, rng)).save(path)
    cache = run_cache_tool(cache_tool, str(broken), tmp_path / 'c.npz',
                           *teacher_options(stage1))
    stored = load_teacher_cache(cache)
    assert stored['logits'].shape == (9 + 3, 2, 3)
    assert [str(p) for p in stored['rel_paths'][9:]] == [
        'unlabeled/a.jpg', 'unlabeled/trip/b.png',
        'unlabeled/trip/day2/c.jpg']
    runner = run_train(train_tool, CACHED, tmp_path / 'work',
                       *cache_options(stage1, cache),
                       'train_dataloader.sampler.unlabeled_ratio=1',
                       data_root=broken)
    labels = [runner.train_dataloader.dataset.get_data_info(i)['gt_label']
              for i in range(12)]
    assert labels[9:] == [-1] * 3 and min(labels[:9]) >= 0
    # unlabeled_ratio=1: as many unlabelled draws as labelled ones.
    drawn = Counter(labels[i] == -1 for i in runner.train_dataloader.sampler)
    assert drawn[True] == drawn[False] > 0
    assert osp.isfile(tmp_path / 'work' / 'epoch_1.pth')
    # One more unlabelled image: another transfer set.
    Image.fromarray(smooth_image(36, 48, rng)).save(
        broken / 'unlabeled' / 'd.jpg')
    refused(train_tool, CACHED, tmp_path / 'work2',
            *cache_options(stage1, cache), data_root=broken,
            match=r'does not match the data set: sample 10 is '
            r'".*unlabeled/d\.jpg".*'
            '13 images in the data set, 12 in the cache')


MISTYPED = [
    # Caught by mmcompact (check_cfg_options) before the runner is built.
    ('data_root=/elsewhere', ValueError, r'"data_root" is a variable of the '
     r'config file.*set the fields that use it instead: '
     r'train_dataloader\.dataset\.data_root'),
    ('train_cgf.max_epochs=2', ValueError, r'no tool reads a top-level '
     r'"train_cgf" \(did you mean train_cfg\?\)'),
    ('model.backbone.widthz=[8,16,32]', ValueError, r'CifarVGG '
     r'\(model\.backbone\) takes no argument "widthz" \(did you mean '
     r'widths\?\)'),
    ('default_hooks.checkpoint.intervall=2', ValueError,
     r'CheckpointHook \(default_hooks\.checkpoint\) takes no argument '
     r'"intervall" \(did you mean interval\?\)'),
    ('model.data_preprocessor.size=64', ValueError,
     r'sets its data_preprocessor at the top level.*set '
     r'data_preprocessor\.size instead'),
    ('train_dataloader.dataset.image_sise=64', ValueError,
     r'InMemoryCustomDataset \(train_dataloader\.dataset\) takes no '
     r'argument "image_sise" \(did you mean image_size\?\)'),
    # Caught by mmengine when it builds the loop and the loader.
    ('train_cfg.max_epoch=2', TypeError,
     "unexpected keyword argument 'max_epoch'"),
    ('train_dataloader.batchsize=8', TypeError,
     "unexpected keyword argument 'batchsize'"),
]


@pytest.mark.parametrize('option,error,match', MISTYPED,
                         ids=[option for option, _, _ in MISTYPED])
def test_mistyped_cfg_option(train_tool, scenes, tmp_path, option, error,
                             match):
    refused(train_tool, COMPACT, tmp_path / 'work', option,
            data_root=scenes, error=error, match=match)
