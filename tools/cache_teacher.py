"""Store the frozen teacher's predictions per augmented view (stage 2).

    python tools/cache_teacher.py JOINT_CONFIG --views 8 --amp

Draws ``--views`` random views (box + flip) of every training image with
the student's ``RandomViewClsDataPreprocessor`` (the views the student
trains on), runs the teacher of the config (``model.teacher`` +
``model.teacher_ckpt``) once over every box at the teacher's own input size,
and writes logits, views and fingerprints of teacher, data and views to
``--out`` (default: next to the teacher checkpoint). A ``*_cached.py``
joint config then trains without running the teacher.

``tools/dist_cache_teacher.sh JOINT_CONFIG NPROC [...]`` splits the work
over processes (GPUs, or CPU processes with gloo); every process draws the
same views, runs its share of the batches, and rank 0 writes the file
(atomically: a temporary file, then a rename).
"""
import argparse
import os
import os.path as osp
import time

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dist import (all_reduce, barrier, get_dist_info, init_dist,
                           is_distributed)
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from mmpretrain.registry import DATASETS

import mmcompact  # noqa: F401
from mmcompact.teacher import (TeacherViewRunner, build_teacher,
                               check_draws_views, dataset_rel_paths,
                               default_cache_dir, resolve_teacher,
                               save_teacher_cache, teacher_cache_meta,
                               teacher_fingerprint)
from mmcompact.utils import (build_data_preprocessor, default_work_dir,
                             init_cpu_dist_if_needed, load_checked_config,
                             model_config)


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
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher; tools/dist_cache_teacher.sh '
        'splits the views over processes (gloo on a CPU-only machine)')
    return parser.parse_args()


def init_dist_if_needed(cfg: Config, launcher: str) -> None:
    """Join the process group of ``tools/dist_cache_teacher.sh``.

    gloo on a CPU-only machine (:func:`init_cpu_dist_if_needed`),
    mmengine's ``init_dist`` with the config's ``env_cfg.dist_cfg``
    otherwise, as ``tools/train.py`` does.
    """
    if launcher == 'none' or init_cpu_dist_if_needed(cfg, launcher) or \
            is_distributed():
        return
    init_dist(launcher, **cfg.get('env_cfg', {}).get('dist_cfg', {}))


def main():
    args = parse_args()
    cfg = load_checked_config(args.config, args.cfg_options)
    init_default_scope('mmpretrain')
    if args.views < 1:
        raise ValueError(f'--views must be >= 1, got {args.views}')
    student_pre = build_data_preprocessor(model_config(cfg))
    check_draws_views(student_pre, args.config)
    init_dist_if_needed(cfg, args.launcher)
    rank, world_size = get_dist_info()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    _, teacher_ckpt, _ = resolve_teacher(cfg.model.teacher,
                                         cfg.model.get('teacher_ckpt'))
    teacher = build_teacher(cfg.model.teacher, teacher_ckpt).to(device)
    # Fingerprint the stage-1 weights, before folding changes them.
    fingerprint = teacher_fingerprint(teacher)
    runner = TeacherViewRunner(teacher, fuse_bn=args.fuse_bn,
                               channels_last=args.channels_last,
                               compile=args.compile, amp=args.amp)

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
    rel_paths = dataset_rel_paths(infos, dataset.data_root)
    labels = [int(i['gt_label']) for i in infos]
    # The same seed on every rank: all draw the same views.
    torch.manual_seed(args.seed)
    views = student_pre.sample_views(len(infos) * args.views, height,
                                     width).view(len(infos), args.views, -1)

    num_classes = teacher.head.num_classes
    # Every rank runs every world_size-th batch and fills its rows; the
    # sum over ranks is the whole cache.
    logits = torch.zeros(len(infos), args.views, num_classes)
    pairs = [(i, v) for i in range(len(infos)) for v in range(args.views)]
    batches = list(range(0, len(pairs), args.batch_size))[rank::world_size]
    start = time.perf_counter()
    progress = ProgressBar(len(batches)) if rank == 0 else None
    for b in batches:
        chunk = pairs[b:b + args.batch_size]
        imgs = torch.stack([
            torch.from_numpy(infos[i]['img']).permute(2, 0, 1)
            for i, _ in chunk
        ])
        rows, cols = torch.tensor(chunk).unbind(1)
        logits[rows, cols] = runner(imgs, views[rows, cols])
        if progress is not None:
            progress.update()
    if world_size > 1:
        all_reduce(logits, op='sum')
    seconds = time.perf_counter() - start

    # By default with the teacher (a URL's: in the joint config's work dir).
    joint_dir = cfg.get('work_dir') or default_work_dir(args.config)
    out = args.out or osp.join(default_cache_dir(teacher_ckpt, joint_dir),
                               f'teacher_cache_{args.views}v.npz')
    if rank == 0:
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        logits = logits.numpy()
        save_teacher_cache(
            out, logits, views.numpy(), rel_paths,
            teacher_cache_meta(
                teacher=fingerprint, teacher_ckpt=teacher_ckpt,
                rel_paths=rel_paths, labels=labels, view=student_pre.view,
                num_views=args.views, seed=args.seed,
                image_shape=(height, width),
                teacher_size=runner.size or (height, width), amp=args.amp))
        labels = np.asarray(labels)
        known = labels >= 0  # not the unlabelled transfer set
        agree = (logits[known].argmax(-1) == labels[known, None]).mean() \
            if known.any() else float('nan')
        unlabelled = f', {(~known).sum()} of them unlabelled' \
            if not known.all() else ''
        print(f'\n{out}: {len(infos)} images{unlabelled} x {args.views} '
              f'views in {seconds:.0f} s ({len(pairs) / seconds:.0f} '
              f'views/s, {world_size} process(es)), '
              f'{osp.getsize(out) / len(infos):.0f} B/image, teacher top-1 '
              f'on the stored views of labelled images {100 * agree:.2f}%')
    # The other ranks return once the file is complete.
    barrier()


if __name__ == '__main__':
    main()
