"""Top-1 against training images per class: probe, teacher, students.

    python benchmarks/small_data_study.py --out work_dirs/study --amp
    python benchmarks/small_data_study.py --out work_dirs/study --commands
    python benchmarks/small_data_study.py --out work_dirs/study \
        --plot docs/plots/small_data_study.png

Draws, for every ``--per-class`` size and ``--seeds`` seed, a fixed subset
of the training images (``random.Random(seed).sample`` of each class's
sorted files, as ``configs/_base_/datasets/splits/`` was drawn) and writes
its list to ``OUT/lists/``. The linear probe of the teacher config's frozen
ImageNet features is fitted on every subset (features extracted once for
the whole training set) and scored on the test set (``OUT/probe.json``).
``--commands`` prints the README commands that train the teacher, the
joint student and the student alone on each subset into
``OUT/runs/<size>_s<seed>/{teacher,joint,alone}`` (with
``--student-seed N``: only the students, seed N, into ``joint_sN`` and
``alone_sN`` beside them); ``--plot`` reads the
final validation top-1 of every run found under ``OUT/runs/<subset>/``
(students of several seeds as ``joint_s0``, ``joint_s1``, ...: their mean;
a subset's probe from ``probe.json`` or its teacher's
``linear_probe.json``) and draws all of it against images per class,
printing the table.
"""
import argparse
import collections
import glob
import json
import math
import os
import os.path as osp
import random
import statistics

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS

import mmcompact  # noqa: F401
from mmcompact.apis import (cpu_model, extract_features, fit_linear_probe,
                            load_probe_record, val_metrics)
from mmcompact.utils import autocast

TEACHER = 'configs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py'
JOINT = 'configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes_cached.py'
ALONE = 'configs/compact_vgg-s4-96px_1xb128_intel_scenes.py'
STAGES = ('teacher', 'joint', 'alone')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True)
    parser.add_argument('--per-class', type=int, nargs='+',
                        default=[10, 25, 50, 100])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--commands', action='store_true',
                        help='print the training commands, fit nothing')
    parser.add_argument('--student-seed', type=int, default=None,
                        help='with --commands: only the two students, '
                        'trained with this seed into joint_s<seed> and '
                        'alone_s<seed> on the subsets\' existing teachers')
    parser.add_argument('--plot', default=None,
                        help='draw probe.json and the runs into this PNG')
    return parser.parse_args()


def subsets(dataset, per_class, seed):
    """Indices of ``per_class`` random training images of every class."""
    by_class = collections.defaultdict(list)
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        by_class[int(info['gt_label'])].append((info['img_path'], i))
    picked = []
    for label in sorted(by_class):
        files = sorted(by_class[label])
        picked += [i for _, i in random.Random(seed).sample(
            files, min(per_class, len(files)))]
    return sorted(picked)


def write_list(dataset, indices, path):
    """An ``ann_file`` of ``indices``: paths under the split's folder."""
    lines = []
    for i in indices:
        info = dataset.get_data_info(i)
        rel = osp.relpath(info['img_path'], dataset.img_prefix)
        lines.append(f'{rel} {int(info["gt_label"])}\n')
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.writelines(lines)


def name(per_class, seed):
    return f'{per_class}pc_s{seed}'


def probe(args):
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(TEACHER)
    model = MODELS.build(cfg.model)
    model.init_weights()
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)

    def context():
        return autocast('cpu', args.amp)

    x, y = extract_features(model, train, val.pipeline, context=context)
    vx, vy = extract_features(model, val, context=context)
    results = {}
    for per_class in args.per_class:
        for seed in args.seeds:
            idx = subsets(train, per_class, seed)
            write_list(train, idx, osp.join(args.out, 'lists',
                                            f'{name(per_class, seed)}.txt'))
            fit = fit_linear_probe(x[idx], y[idx], model.head.num_classes)
            results[name(per_class, seed)] = dict(
                per_class=per_class, seed=seed, images=len(idx),
                probe=fit.accuracy(vx, vy))
            print(name(per_class, seed), len(idx),
                  cut(results[name(per_class, seed)]['probe']))
    full = fit_linear_probe(x, y, model.head.num_classes)
    results['full'] = dict(per_class=len(x) / model.head.num_classes,
                           seed=0, images=len(x), probe=full.accuracy(vx, vy))
    with open(osp.join(args.out, 'probe.json'), 'w') as f:
        json.dump(dict(cpu=cpu_model(), results=results,
                       size=list(model.data_preprocessor.size)), f, indent=1)
    print('full', len(x), cut(results['full']['probe']))


def commands(args):
    names = Config.fromfile(TEACHER).train_10pct.metainfo.classes
    classes = f'metainfo.classes="{tuple(names)}"'
    for per_class in args.per_class:
        for seed in args.seeds:
            run = osp.join(args.out, 'runs', name(per_class, seed))
            ann = osp.abspath(osp.join(args.out, 'lists',
                                       f'{name(per_class, seed)}.txt'))
            data = (f'train_dataloader.dataset.ann_file={ann} '
                    f'train_dataloader.dataset.{classes}')
            student_seed, suffix = seed, ''
            if args.student_seed is None:
                print(f'python tools/train.py {TEACHER} --amp --work-dir '
                      f'{run}/teacher --cfg-options {data}')
                print(f'python tools/cache_teacher.py {JOINT} --views 16 '
                      f'--amp --out {run}/teacher/cache.npz --cfg-options '
                      f'{data} model.teacher_ckpt={run}/teacher')
            else:
                student_seed = args.student_seed
                suffix = f'_s{student_seed}'
            for stage, config in (('joint', JOINT), ('alone', ALONE)):
                extra = (f' model.teacher_ckpt={run}/teacher '
                         f'model.teacher_cache={run}/teacher/cache.npz'
                         if stage == 'joint' else '')
                print(f'python tools/train.py {config} --amp --work-dir '
                      f'{run}/{stage}{suffix} --cfg-options {data}'
                      f' randomness.seed={student_seed}{extra}')


def cut(value):
    """Two decimals, cut (never rounded up), as the records print them."""
    return f'{math.floor(value * 100) / 100:.2f}'


def plot(args):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    with open(osp.join(args.out, 'probe.json')) as f:
        probes = json.load(f)
    num_classes = Config.fromfile(TEACHER).num_classes
    runs = osp.join(args.out, 'runs')
    keys = list(probes['results']) + sorted(
        k for k in os.listdir(runs) if k not in probes['results']) \
        if osp.isdir(runs) else list(probes['results'])
    rows = {}
    for key in keys:
        row = dict(probes['results'].get(key, {}))
        record = load_probe_record(osp.join(runs, key, 'teacher'))
        if 'probe' not in row and record:
            row.update(probe=record['accuracy'], images=record['num_train'])
        for stage in STAGES:
            values = [series[-1][1] for d in sorted(
                glob.glob(osp.join(runs, key, f'{stage}*')))
                for series in [val_metrics(d)[0]] if series]
            if values:
                row[stage] = statistics.mean(values)
                row[f'{stage}_runs'] = len(values)
        if 'images' in row:
            row['per_class'] = row['images'] / num_classes
            rows[key] = row
    print('| subset | images | probe | ' + ' | '.join(STAGES) + ' |')
    print('|---|---:|---:|' + '---:|' * len(STAGES))
    for key, r in rows.items():
        cells = [f'{cut(r[s])} ({r[s + "_runs"]})' if s in r else '-'
                 for s in STAGES]
        print(f'| {key} | {r["images"]} | {cut(r["probe"])} | '
              + ' | '.join(cells) + ' |')
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for what in ('probe', ) + STAGES:
        points = collections.defaultdict(list)
        for r in rows.values():
            if what in r:
                points[r['per_class']].append(r[what])
        if points:
            xs = sorted(points)
            ax.plot(xs, [statistics.mean(points[x]) for x in xs], marker='o',
                    label='linear probe' if what == 'probe' else what)
    ax.set_xscale('log')
    ax.set_xlabel('training images per class (log)')
    ax.set_ylabel('top-1 on the test set (%)')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend()
    ax.set_title(f'Intel scenes (100 px copy), mean over seeds; '
                 f'{probes["cpu"]}', fontsize='small')
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print(f'wrote {args.plot} (table: "(n)" = runs averaged)')


def main():
    args = parse_args()
    if args.commands:
        commands(args)
    elif args.plot:
        plot(args)
    else:
        probe(args)


if __name__ == '__main__':
    main()
