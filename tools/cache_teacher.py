"""Store the frozen teacher's predictions per augmented view (stage 2).

    python tools/cache_teacher.py configs/joint_cifar10.py --views 8

Draws ``--views`` crop/flip views of every training image (the crop
size/padding of the config's ``CropFlipClsDataPreprocessor`` or train
pipeline ``RandomCrop``), runs the teacher of the
config (``model.teacher`` + ``model.teacher_ckpt``) once over all of them
and writes logits, views and fingerprints of teacher and data to ``--out``.
``configs/joint_cifar10_cached.py`` then trains without running the teacher.
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
from mmpretrain.registry import DATASETS

import mmcompact  # noqa: F401
from mmcompact.datasets import (apply_view, crop_settings,
                                dataset_fingerprint, sample_views,
                                save_teacher_cache, teacher_fingerprint)
from mmcompact.models import JointLearningClassifier


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='joint-learning config')
    parser.add_argument('--views', type=int, default=8,
                        help='stored views per training image')
    parser.add_argument('--out', default=None,
                        help='output .npz (default: teacher_cache_<V>v.npz '
                        'next to the teacher checkpoint work dir)')
    # 64, not larger: at 256 the 96 px activations churn the allocator
    # (half the CPU time in the kernel) and a 2-core CPU runs 362 instead
    # of 578 views/s.
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast on CPU (fp16 on GPU), as '
                        'online stage-2 training with --amp')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope('mmpretrain')
    if args.views < 1:
        raise ValueError(f'--views must be >= 1, got {args.views}')
    crop_size, padding = crop_settings(cfg)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    teacher = JointLearningClassifier.build_teacher(
        cfg.model.teacher, cfg.model.teacher_ckpt,
        cfg.model.get('teacher_config')).to(device)

    dataset_cfg = cfg.train_dataloader.dataset.copy()
    dataset_cfg.pipeline = []
    dataset = DATASETS.build(dataset_cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    root = dataset.data_root or ''
    rel_paths = [osp.relpath(i['img_path'], root).replace('\\', '/')
                 for i in infos]
    labels = [int(i['gt_label']) for i in infos]
    views = sample_views(len(infos), args.views, 2 * padding, args.seed)

    num_classes = teacher.head.num_classes
    logits = np.empty((len(infos), args.views, num_classes), np.float32)
    start = time.perf_counter()
    with torch.no_grad(), torch.autocast(
            device, dtype=torch.bfloat16 if device == 'cpu' else
            torch.float16, enabled=args.amp):
        pairs = [(i, v) for i in range(len(infos))
                 for v in range(args.views)]
        progress = ProgressBar(len(pairs))
        for b in range(0, len(pairs), args.batch_size):
            chunk = pairs[b:b + args.batch_size]
            imgs = [
                torch.from_numpy(
                    apply_view(infos[i]['img'], views[i, v], padding,
                               crop_size)).permute(2, 0, 1)
                for i, v in chunk
            ]
            data = teacher.data_preprocessor({'inputs': imgs}, False)
            out = teacher(data['inputs'].to(device), mode='tensor')
            for (i, v), row in zip(chunk, out.float().cpu().numpy()):
                logits[i, v] = row
            progress.update(len(chunk))
    seconds = time.perf_counter() - start

    out = args.out or osp.join(
        osp.dirname(osp.abspath(cfg.model.teacher_ckpt))
        if osp.isfile(cfg.model.teacher_ckpt) else cfg.model.teacher_ckpt,
        f'teacher_cache_{args.views}v.npz')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    save_teacher_cache(
        out, logits, views, rel_paths,
        dict(teacher=teacher_fingerprint(teacher),
             data=dataset_fingerprint(rel_paths, labels),
             teacher_ckpt=str(cfg.model.teacher_ckpt),
             num_views=args.views, seed=args.seed, padding=padding,
             crop_size=crop_size, amp=args.amp,
             created=datetime.datetime.now().isoformat(timespec='seconds')))
    agree = (logits.argmax(-1) == np.asarray(labels)[:, None]).mean()
    print(f'\n{out}: {len(infos)} images x {args.views} views in '
          f'{seconds:.0f} s ({len(pairs) / seconds:.0f} views/s), '
          f'{osp.getsize(out) / len(infos):.0f} B/image, teacher top-1 on '
          f'the stored train views {100 * agree:.2f}%')


if __name__ == '__main__':
    main()
