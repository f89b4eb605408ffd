"""Plot top-1 against wall time for the two stages and the student alone.

Usage::

    python tools/analysis_tools/accuracy_vs_time.py docs/plot.png \\
        --teacher work_dirs/teacher_effnet-lite0-f4-128px_1xb64_cifar10 \\
        --cache-seconds 938 \\
        --joint "joint, 8 views=work_dirs/joint_..._cifar10_cached" \\
        --alone "alone=work_dirs/compact_cifarvgg_1xb512_cifar10"

Each run is read from its mmengine text log (``<work_dir>/<time>/<time>.log``,
the newest run of a work dir unless the run folder or the ``.log`` is
given): its wall-clock start (the log's first line, when the runner was
built) and the time stamp and top-1 of every validation. Joint students are
drawn from the end of the teacher run plus ``--cache-seconds`` (what the
cache cost; ``tools/cache_teacher.py`` prints it), so the x axis is what the
whole recipe cost on the machine that ran it; students alone start at 0.
The points are printed as a Markdown table too (``pip install
"mmcompact[deploy]"`` for matplotlib).
"""
import argparse
import datetime
import glob
import os.path as osp
import re
import sys
from typing import List, Tuple

LINE = re.compile(r'^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) - mmengine - ')
TOP1 = re.compile(r'Epoch\(val\) \[(\d+)\]\[\d+/\d+\].*accuracy/top1: '
                  r'([\d.]+)')


def find_log(path: str) -> str:
    """The text log of a run: a ``.log``, a run folder or a work dir."""
    if osp.isfile(path):
        return path
    logs = sorted(glob.glob(osp.join(path, '*.log')) +
                  glob.glob(osp.join(path, '*', '*.log')))
    if not logs:
        raise FileNotFoundError(
            f'No mmengine log under "{path}" (expected <work_dir>/<time>/'
            '<time>.log).')
    # Run folders are named by their start time: the last is the newest.
    return logs[-1]


def read_run(path: str) -> Tuple[float, List[Tuple[int, float, float]]]:
    """Seconds from start to the last line, and (epoch, s, top-1) points.

    Args:
        path (str): A ``.log``, a run folder or a work dir.

    Returns:
        tuple: The run's wall time in seconds (first to last log line) and
        one ``(epoch, seconds since start, top-1)`` per validation.
    """
    log = find_log(path)
    start = end = None
    points = []
    with open(log, encoding='utf-8') as f:
        for line in f:
            stamp = LINE.match(line)
            if not stamp:
                continue
            when = datetime.datetime.strptime(stamp.group(1),
                                              '%Y/%m/%d %H:%M:%S')
            start = start or when
            end = when
            top1 = TOP1.search(line)
            if top1:
                points.append((int(top1.group(1)),
                               (when - start).total_seconds(),
                               float(top1.group(2))))
    if not points:
        raise ValueError(f'{log}: no "accuracy/top1" validation lines.')
    return (end - start).total_seconds(), points


def labelled(text: str) -> Tuple[str, str]:
    label, sep, path = text.partition('=')
    if not sep or not label or not path:
        raise argparse.ArgumentTypeError(
            f'expected LABEL=PATH, got "{text}"')
    return label, path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', help='output image (.png)')
    parser.add_argument('--teacher', required=True,
                        help='stage-1 work dir, run folder or .log')
    parser.add_argument('--cache-seconds', type=float, default=0.0,
                        help='wall time of the teacher cache (0: online '
                        'teacher)')
    parser.add_argument('--joint', type=labelled, action='append',
                        default=[], metavar='LABEL=PATH',
                        help='a joint student run (after the teacher)')
    parser.add_argument('--alone', type=labelled, action='append',
                        default=[], metavar='LABEL=PATH',
                        help='a student trained alone (from 0)')
    parser.add_argument('--title', default='')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    teacher_s, teacher = read_run(args.teacher)
    offset = teacher_s + args.cache_seconds
    curves = [('teacher', 0.0, teacher, '--')]
    curves += [(label, offset, read_run(path)[1], '-')
               for label, path in args.joint]
    curves += [(label, 0.0, read_run(path)[1], ':')
               for label, path in args.alone]

    fig, ax = plt.subplots(figsize=(7, 4.5))
    if args.cache_seconds:
        ax.axvspan(teacher_s / 60, offset / 60, color='0.9',
                   label='teacher cache')
    print('| run | epoch | minutes | top-1 (%) |\n|---|---:|---:|---:|')
    for label, start, points, style in curves:
        minutes = [(start + s) / 60 for _, s, _ in points]
        ax.plot(minutes, [top1 for *_, top1 in points], style, marker='.',
                label=label)
        for (epoch, _, top1), m in zip(points, minutes):
            print(f'| {label} | {epoch} | {m:.1f} | {top1:.2f} |')
    ax.set_xlabel('wall time since stage 1 started (min)')
    ax.set_ylabel('top-1 (%)')
    low = min(top1 for _, _, points, _ in curves for *_, top1 in points)
    ax.set_ylim(max(low - 1, 0), None)
    ax.grid(alpha=0.3)
    ax.legend(loc='lower right')
    if args.title:
        ax.set_title(args.title, fontsize=10)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
