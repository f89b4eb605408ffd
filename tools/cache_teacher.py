"""Store the frozen teacher's predictions per augmented view (stage 2).

    python tools/cache_teacher.py JOINT_CONFIG --views 8 --amp

Draws ``--views`` random views (box + flip) of every training image with
the student's ``RandomViewClsDataPreprocessor`` (the views the student
trains on), runs the teacher of the config (``model.teacher`` +
``model.teacher_ckpt``) once over every box at the teacher's own input size,
and writes logits, views and fingerprints of teacher, data and views to
``--out`` (default: next to the teacher checkpoint). A ``*_cached.py``
joint config then trains without running the teacher.
"""
import argparse
import datetime
import os
import os.path as osp
import time

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from mmpretrain.registry import DATASETS, MODELS

import mmcompact  # noqa: F401
from mmcompact.datasets import dataset_fingerprint, save_teacher_cache
from mmcompact.models import (JointLearningClassifier,
                              RandomViewClsDataPreprocessor, crop_views,
                              fuse_frozen_bn, resolve_teacher,
                              teacher_fingerprint)
from mmcompact.utils import model_config


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='joint-learning config')
    parser.add_argument('--views', type=int, default=8,
                        help='stored views per training image')
    parser.add_argument('--out', default=None,
                        help='output .npz (default: teacher_cache_<V>v.npz '
                        'next to the teacher checkpoint work dir)')
    # 64, not larger: at 256 the 96 px activations churn the memory
    # allocator (much of the CPU time goes to the kernel) and fewer views
    # per second get through.
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast on CPU (fp16 on GPU), as '
                        'online stage-2 training with --amp')
    parser.add_argument(
        '--channels-last', action=argparse.BooleanOptionalAction,
        default=True, help='run the teacher on NHWC tensors (default; '
        "oneDNN's native layout, faster on x86 CPUs)")
    parser.add_argument(
        '--fuse-bn', action=argparse.BooleanOptionalAction, default=True,
        help='fold the frozen teacher\'s BatchNorm layers into its '
        'convolutions (default; same predictions within float tolerance)')
    parser.add_argument(
        '--compile', action='store_true',
        help='torch.compile the teacher (pays on large caches: the first '
        'batches wait for the compilation)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def default_cache_path(ckpt: str, num_views: int) -> str:
    """``teacher_cache_<V>v.npz`` in the teacher's stage-1 work dir."""
    folder = osp.dirname(osp.abspath(ckpt)) if osp.isfile(ckpt) else ckpt
    return osp.join(folder, f'teacher_cache_{num_views}v.npz')


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope('mmpretrain')
    if args.views < 1:
        raise ValueError(f'--views must be >= 1, got {args.views}')
    pre_cfg = dict(model_config(cfg).get('data_preprocessor') or {})
    # No type: ClsDataPreprocessor, as ImageClassifier builds it.
    pre_cfg.setdefault('type', 'ClsDataPreprocessor')
    student_pre = MODELS.build(pre_cfg)
    if not isinstance(student_pre, RandomViewClsDataPreprocessor) or \
            student_pre.view is None:
        raise ValueError(
            f'{args.config}: the student\'s data_preprocessor '
            f'({pre_cfg.get("type")}) draws no views; '
            'the cache stores the views of a RandomViewClsDataPreprocessor '
            "with view=dict(type='PadCrop' | 'ResizedCrop', ...).")
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    _, teacher_ckpt, _ = resolve_teacher(cfg.model.teacher,
                                         cfg.model.get('teacher_ckpt'))
    teacher = JointLearningClassifier.build_teacher(
        cfg.model.teacher, teacher_ckpt).to(device)
    # Fingerprint the stage-1 weights, before folding changes them.
    fingerprint = teacher_fingerprint(teacher)
    if args.fuse_bn:
        fuse_frozen_bn(teacher)
    if args.channels_last:
        teacher.to(memory_format=torch.channels_last)
    forward = torch.compile(teacher) if args.compile else teacher
    t_pre = teacher.data_preprocessor

    dataset_cfg = cfg.train_dataloader.dataset.copy()
    dataset_cfg.pipeline = []
    dataset = DATASETS.build(dataset_cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    shapes = sorted({i['img'].shape for i in infos})
    if len(shapes) != 1:
        raise ValueError(
            f'{args.config}: the training images have {len(shapes)} '
            f'different shapes (e.g. {shapes[:3]}); give the dataset an '
            'image_size so that views are boxes of one image size.')
    height, width = shapes[0][:2]
    root = dataset.data_root or ''
    rel_paths = [osp.relpath(i['img_path'], root).replace('\\', '/')
                 for i in infos]
    labels = [int(i['gt_label']) for i in infos]
    torch.manual_seed(args.seed)
    views = student_pre.sample_views(len(infos) * args.views, height,
                                     width).view(len(infos), args.views, -1)
    t_size = getattr(t_pre, 'size', (height, width))

    num_classes = teacher.head.num_classes
    logits = np.empty((len(infos), args.views, num_classes), np.float32)
    pairs = [(i, v) for i in range(len(infos)) for v in range(args.views)]
    start = time.perf_counter()
    with torch.no_grad(), torch.autocast(
            device, dtype=torch.bfloat16 if device == 'cpu' else
            torch.float16, enabled=args.amp):
        progress = ProgressBar(len(pairs))
        for b in range(0, len(pairs), args.batch_size):
            chunk = pairs[b:b + args.batch_size]
            imgs = torch.stack([
                torch.from_numpy(infos[i]['img']).permute(2, 0, 1)
                for i, _ in chunk
            ])
            boxes = torch.stack([views[i, v] for i, v in chunk])
            # The teacher sees each box at its own input size.
            data = t_pre({'inputs': crop_views(imgs, boxes, t_size)}, False)
            inputs = data['inputs'].to(device)
            if args.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            out = forward(inputs, mode='tensor')
            for (i, v), row in zip(chunk, out.float().cpu().numpy()):
                logits[i, v] = row
            progress.update(len(chunk))
    seconds = time.perf_counter() - start

    out = args.out or default_cache_path(teacher_ckpt, args.views)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    save_teacher_cache(
        out, logits, views.numpy(), rel_paths,
        dict(teacher=fingerprint,
             data=dataset_fingerprint(rel_paths, labels),
             teacher_ckpt=str(teacher_ckpt),
             num_views=args.views, seed=args.seed, view=student_pre.view,
             image_shape=(height, width), teacher_size=tuple(t_size),
             amp=args.amp,
             created=datetime.datetime.now().isoformat(timespec='seconds')))
    agree = (logits.argmax(-1) == np.asarray(labels)[:, None]).mean()
    print(f'\n{out}: {len(infos)} images x {args.views} views in '
          f'{seconds:.0f} s ({len(pairs) / seconds:.0f} views/s), '
          f'{osp.getsize(out) / len(infos):.0f} B/image, teacher top-1 on '
          f'the stored train views {100 * agree:.2f}%')


if __name__ == '__main__':
    main()
