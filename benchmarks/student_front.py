"""Accuracy against ONNX Runtime int8 latency: students of several budgets,
joint and alone, next to what a user would pick instead.

    python benchmarks/student_front.py SPEC.json \\
        --out docs/plots/student_front.png [--json FRONT.json] [--threads 1]

SPEC.json maps a panel (a training set) to its runs::

    {"Intel 10 %": [
        {"label": "w0.5", "kind": "joint", "config": COMPACT_CONFIG,
         "work_dir": WORK_DIR}, ...]}

``kind`` is ``joint`` or ``alone`` (a student; ``label`` names its member,
``config`` is its ``compact_*`` config, which loads a joint checkpoint
too), ``pretrained`` (the ImageNet network fine-tuned at a small input
size: what a user would pick instead) or ``teacher``. Several work dirs
(``"work_dir": [A, B]``, seeds) give the mean top-1. Top-1 is the last
validation each work dir logged; the network is its last checkpoint,
exported to ONNX and quantised to int8 (calibrated on random images: the
latency does not depend on the weights' values), and all networks are
timed batch-1 in interleaved rounds (``time_interleaved``) at ``--threads``.
Prints the table (markdown; numbers cut, never rounded up) and draws one
panel per set: top-1 against int8 latency, students joined by line per
kind.
"""
import argparse
import json
import math
import os.path as osp
import statistics
import sys
import tempfile

import numpy as np
import torch
from mmengine.runner import find_latest_checkpoint

import mmcompact  # noqa: F401
from mmcompact.apis import (cpu_model, export_onnx,
                            load_classifier, load_config, model_complexity,
                            model_input_size, ort_timer, quantize_int8,
                            random_calibration,
                            time_interleaved, val_metrics)

KINDS = {'joint': ('D', 'tab:blue', 'joint student'),
         'alone': ('s', 'tab:orange', 'student alone'),
         'pretrained': ('^', 'tab:green',
                        'EfficientNet-Lite0 fine-tuned (ImageNet weights)'),
         'teacher': ('o', 'tab:red', 'teacher (Lite0, 128 px)')}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('spec', help='JSON: panel -> runs')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--json', help='write every number here')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--rounds', type=int, default=10)
    parser.add_argument('--iters', type=int, default=20)
    return parser.parse_args(argv)


def cut(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, cut (never rounded up)."""
    scale = 10**digits
    return f'{math.floor(value * scale) / scale:.{digits}f}'


def last_top1(work_dir: str) -> float:
    values, _ = val_metrics(work_dir)
    if not values:
        raise ValueError(f'{work_dir}: no validation logged')
    return values[-1][1]


def checkpoint(work_dir: str) -> str:
    """The work dir's last checkpoint (its ``last_checkpoint`` file)."""
    path = find_latest_checkpoint(work_dir)
    if path is None:
        raise FileNotFoundError(f'{work_dir}: no last_checkpoint')
    return path


def int8_model(run: dict, scratch: str, index: int) -> str:
    """Export the run's (first) checkpoint to an int8 ONNX file."""
    work_dir = run['work_dirs'][0]
    model = load_classifier(load_config(run['config']), checkpoint(work_dir))
    size = model_input_size(model)
    run['params'], run['macs'] = model_complexity(model, size)
    run['size'] = size
    fp32 = osp.join(scratch, f'{index}.onnx')
    int8 = osp.join(scratch, f'{index}.int8.onnx')
    export_onnx(model, size, fp32, {})
    quantize_int8(fp32, int8, random_calibration(size))
    return int8


def main(argv=None) -> int:
    args = parse_args(argv)
    with open(args.spec, encoding='utf-8') as f:
        spec = json.load(f)
    runs = []
    for panel, entries in spec.items():
        for entry in entries:
            if entry['kind'] not in KINDS:
                raise ValueError(f'{entry}: kind must be one of {list(KINDS)}')
            dirs = entry['work_dir']
            dirs = [dirs] if isinstance(dirs, str) else dirs
            top1 = [last_top1(d) for d in dirs]
            runs.append(dict(entry, panel=panel, work_dirs=dirs, top1s=top1,
                             top1=statistics.mean(top1)))
    with tempfile.TemporaryDirectory() as scratch:
        files = [int8_model(run, scratch, i) for i, run in enumerate(runs)]

        feeds = [np.random.default_rng(0).uniform(
            0, 255, (1, 3, *run['size'])).astype(np.float32) for run in runs]
        times = time_interleaved(
            {i: ort_timer(p, feeds[i]) for i, p in enumerate(files)},
            [args.threads], args.rounds, args.iters)
    for i, run in enumerate(runs):
        run['int8_ms'] = 1e3 * statistics.median(times[i][args.threads])
    print(f'{cpu_model()}, torch {torch.__version__}, ONNX Runtime int8 '
          f'batch-1, {args.threads} thread(s)')
    print('| set | model | kind | input | MACs (M) | params (M) | int8 '
          'latency (ms) | top-1 (%) |')
    print('|---|---|---|---:|---:|---:|---:|---:|')
    for run in runs:
        top1 = ' / '.join(cut(t) for t in run['top1s'])
        if len(run['top1s']) > 1:
            top1 += f' (mean {cut(run["top1"])})'
        print(f'| {run["panel"]} | {run["label"]} | {run["kind"]} | '
              f'{run["size"][0]} | {cut(run["macs"] / 1e6)} | '
              f'{cut(run["params"] / 1e6, 3)} | {cut(run["int8_ms"], 3)} | '
              f'{top1} |')
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(dict(cpu=cpu_model(), threads=args.threads,
                           runs=runs), f, indent=1)
    plot(runs, spec, args)
    return 0


def plot(runs, spec, args) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    fig, axes = plt.subplots(1, len(spec), figsize=(6 * len(spec), 4.8),
                             squeeze=False)
    for ax, panel in zip(axes[0], spec):
        for kind, (marker, colour, name) in KINDS.items():
            mine = sorted((r for r in runs
                           if r['panel'] == panel and r['kind'] == kind),
                          key=lambda r: r['int8_ms'])
            if not mine:
                continue
            xs = [r['int8_ms'] for r in mine]
            ys = [r['top1'] for r in mine]
            ax.plot(xs, ys, marker=marker, color=colour, label=name,
                    linestyle='-' if kind in ('joint', 'alone') else 'none',
                    markersize=7)
            for r in mine:
                ax.annotate(r['label'], (r['int8_ms'], r['top1']),
                            textcoords='offset points', xytext=(4, -10),
                            fontsize='x-small')
        ax.set_title(panel)
        ax.set_xscale('log')
        ax.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f'{v:g}'))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(f'ONNX Runtime int8 batch-1 latency, {args.threads} '
                      f'thread{"s" * (args.threads > 1)} (ms, log)')
        ax.set_ylabel('top-1 (%)')
        ax.grid(True, which='both', alpha=0.3)
    axes[0][0].legend(loc='upper left', fontsize='small')
    fig.suptitle(f'{cpu_model()}', fontsize='small')
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    plt.close(fig)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    sys.exit(main())
