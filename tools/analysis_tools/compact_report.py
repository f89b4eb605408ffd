"""Compactness report: what the student costs and gains next to its teacher.

    python tools/analysis_tools/compact_report.py \\
        --teacher TEACHER_CONFIG TEACHER.pth \\
        --student STUDENT_CONFIG JOINT_STUDENT.pth \\
        [--baseline STUDENT_CONFIG STUDENT_ALONE.pth] \\
        [--onnx STUDENT.onnx] [--int8 STUDENT.int8.onnx] \\
        --out work_dirs/report

Models (rows): the teacher, the joint student, optionally the student
trained alone (baseline) and the joint student's ONNX fp32 and int8 files
(``tools/deployment/export_onnx.py``). The student config is the
``configs/compact_*.py`` config that loads a joint checkpoint (it holds the
student only).

Writes into ``--out``: ``report.md`` (tables), ``report.json`` (every
number, per-round timings included) and ``report.png`` (top-1 against
batch-1 latency at the first ``--threads`` count and against MACs, log x
axes, one marker per model). Columns:

- top-1 (%) on the config's test set: mmpretrain's ``Accuracy`` over
  ``model.test_step`` (PyTorch) or ONNX Runtime on the same images
  (``--eval-images N`` uses N evenly spaced test images; ``--top1
  NAME=VALUE`` takes a known value instead, NAME one of teacher, student,
  baseline, onnx, int8);
- params and MACs at each model's own input size (mmengine's complexity
  analysis; the ONNX rows repeat the student's network);
- checkpoint size: the weights alone saved as fp32 and as fp16;
- ONNX file size (ONNX rows);
- batch-1 latency per ``--threads`` count: median over ``--rounds`` rounds
  of ``--iters`` calls, after a warm-up, all models interleaved in this one
  process (as ``model_cost.py``); PyTorch times normalisation plus the
  network on an image at the input size, as the ONNX graph does;
- batch-``--batch`` throughput (images/s) at the largest thread count;
- teacher/model ratios: params, MACs, size (teacher fp32 checkpoint over
  the model's fp32 checkpoint or ONNX file), latency and throughput
  (median of the per-round ratios), and the top-1 difference in points;
- the budget the student was chosen for, when its config records one
  (``student_budget``, written by ``choose_student.py``);
- the linear probe of the teacher's frozen ImageNet features, when the
  teacher's work dir (its checkpoint's folder) holds the
  ``linear_probe.json`` of a ``LinearProbeHook``: a line under the table
  and a dashed line on the plot.

``--cfg-options`` applies to every config (e.g. a data root). Timing
numbers are those of the machine it runs on; the report names its CPU.
"""
import argparse
import datetime
import io
import json
import os
import os.path as osp
import statistics
import sys

import numpy as np
import onnxruntime
import torch
from mmengine.config import DictAction

import mmcompact  # noqa: F401  (registers modules, safe checkpoint loading)
from mmcompact.apis import (cpu_model, eval_dataloader, evaluate_top1,
                            load_classifier, load_config, load_probe_record,
                            model_complexity, model_input_size,
                            onnx_input_size, ort_predictor, ort_session,
                            ort_timer, pytorch_timer, state_dict_sizes,
                            time_interleaved)
from mmcompact.utils import atomic_write

#: Row keys (``--top1`` names) and their labels, in table order.
MODELS = {
    'teacher': 'teacher',
    'baseline': 'student alone',
    'student': 'joint student',
    'onnx': 'joint student, ONNX fp32',
    'int8': 'joint student, ONNX int8',
}
MARKERS = {'teacher': 'o', 'baseline': 's', 'student': 'D', 'onnx': '^',
           'int8': 'v'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--teacher', nargs=2, required=True,
                        metavar=('CONFIG', 'CHECKPOINT'))
    parser.add_argument('--student', nargs=2, required=True,
                        metavar=('CONFIG', 'CHECKPOINT'),
                        help='the joint student: student config + checkpoint')
    parser.add_argument('--baseline', nargs=2, metavar=('CONFIG',
                                                        'CHECKPOINT'),
                        help='the student trained alone')
    parser.add_argument('--onnx', help="the joint student's fp32 ONNX file")
    parser.add_argument('--int8', help="the joint student's int8 ONNX file")
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--input-size', type=int, default=None,
                        help='square input side for models whose '
                        'preprocessor does not resize (e.g. 32 for CIFAR-10 '
                        'students)')
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--rounds', type=int, default=20,
                        help='timed rounds of batch-1 latency (default 20)')
    parser.add_argument('--iters', type=int, default=10,
                        help='calls per model and round (default 10)')
    parser.add_argument('--batch', type=int, default=64,
                        help='batch size of the throughput (default 64)')
    parser.add_argument('--batch-rounds', type=int, default=5,
                        help='timed rounds of the throughput (default 5)')
    parser.add_argument('--eval-images', type=int, default=None,
                        help='evenly spaced test images for top-1 '
                        '(default: all)')
    parser.add_argument('--top1', nargs='+', default=[],
                        metavar='NAME=VALUE',
                        help=f'known top-1 (%%) instead of evaluating; NAME '
                        f'in {", ".join(MODELS)}')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every config')
    args = parser.parse_args(argv)
    paths = [*args.teacher, *args.student, *(args.baseline or ()),
             *(p for p in (args.onnx, args.int8) if p)]
    for path in paths:
        if not osp.isfile(path):
            parser.error(f'"{path}" not found')
    given = {}
    for item in args.top1:
        name, sep, value = item.partition('=')
        if not sep or name not in MODELS:
            parser.error(f'--top1 takes NAME=VALUE with NAME in '
                         f'{list(MODELS)}, got "{item}"')
        try:
            given[name] = float(value)
        except ValueError:
            parser.error(f'--top1 {item}: "{value}" is not a number')
        if not 0 <= given[name] <= 100:
            parser.error(f'--top1 {item}: a percentage must be in [0, 100]')
    args.top1 = given
    for name in ('rounds', 'iters', 'batch', 'batch_rounds', 'eval_images'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if any(t < 1 for t in args.threads):
        parser.error(f'--threads must be >= 1, got {args.threads}')
    return args


def build_rows(args):
    """Load every model; static columns (size, params, MACs, file sizes).

    Returns:
        list[dict]: One row per model, in :data:`MODELS` order.
    """
    rows = []
    student = None
    pytorch = [('teacher', args.teacher), ('baseline', args.baseline),
               ('student', args.student)]
    for key, pair in pytorch:
        if pair is None:
            continue
        config, checkpoint = pair
        cfg = load_config(config, args.cfg_options)
        model = load_classifier(cfg, checkpoint)
        size = model_input_size(model, args.input_size)
        params, macs = model_complexity(model, size)
        fp32, fp16 = state_dict_sizes(model)
        row = dict(key=key, name=MODELS[key], runtime='PyTorch',
                   config=config, file=checkpoint, cfg=cfg, model=model,
                   size=size, params=params, macs=macs,
                   checkpoint_fp32_bytes=fp32, checkpoint_fp16_bytes=fp16,
                   checkpoint_file_bytes=osp.getsize(checkpoint),
                   onnx_bytes=None)
        rows.append(row)
        if key == 'student':
            student = row
    for key, path in (('onnx', args.onnx), ('int8', args.int8)):
        if path is None:
            continue
        session = ort_session(path)
        size = onnx_input_size(session)
        if size != student['size']:
            raise ValueError(f'{path} takes {size[0]}x{size[1]} images but '
                             f'the student runs at {student["size"][0]}x'
                             f'{student["size"][1]}: not its export')
        rows.append(
            dict(key=key, name=MODELS[key], runtime='ONNX Runtime',
                 config=student['config'], file=path, cfg=student['cfg'],
                 model=student['model'], session=session, size=size,
                 params=student['params'], macs=student['macs'],
                 checkpoint_fp32_bytes=None, checkpoint_fp16_bytes=None,
                 checkpoint_file_bytes=None, onnx_bytes=osp.getsize(path)))
    return rows


def add_top1(rows, args) -> None:
    """Fill ``top1`` and ``top1_source`` of every row."""
    loaders = {}
    for row in rows:
        if row['key'] in args.top1:
            row['top1'], row['top1_source'] = args.top1[row['key']], 'given'
            continue
        if row['config'] not in loaders:
            loaders[row['config']] = eval_dataloader(
                row['cfg'], 'test', args.eval_images)
        loader = loaders[row['config']]
        if 'session' in row:
            predict = ort_predictor(row['session'],
                                    row['model'].data_preprocessor)
        else:
            predict = row['model'].test_step
        row['top1'] = evaluate_top1(predict, loader, row['cfg'])
        row['top1_source'] = f'{len(loader.dataset)} test images'
        print(f'{row["name"]}: top-1 {row["top1"]:.4f} % '
              f'({row["top1_source"]})')


def runner(row, batch: int):
    """The timing factory of :func:`time_interleaved` for one row."""
    image = torch.randint(0, 256, (batch, 3, *row['size'])).float()
    if 'session' in row:
        return ort_timer(row['file'], image.numpy())
    return pytorch_timer(row['model'], image)


def add_timings(rows, args) -> None:
    """Batch-1 latency per thread count and batch throughput, interleaved.
    """
    runners = {r['key']: runner(r, 1) for r in rows}
    times = time_interleaved(runners, args.threads, args.rounds, args.iters)
    most = max(args.threads)
    batch = time_interleaved(
        {r['key']: runner(r, args.batch) for r in rows}, [most],
        args.batch_rounds, 1, warmup=1)
    for row in rows:
        row['latency_rounds_ms'] = {
            t: [1e3 * s for s in times[row['key']][t]] for t in args.threads
        }
        row['latency_ms'] = {
            t: statistics.median(v)
            for t, v in row['latency_rounds_ms'].items()
        }
        row['batch_rounds_s'] = batch[row['key']][most]
        row['throughput'] = args.batch / statistics.median(
            row['batch_rounds_s'])


def ratios(rows, threads):
    """Teacher/model ratios of every model but the teacher.

    Latency and throughput ratios are taken round by round (the rounds are
    interleaved, so both models of a round saw the same machine) and their
    median is reported.
    """
    teacher = rows[0]
    out = []
    for row in rows[1:]:
        size = row['checkpoint_fp32_bytes'] or row['onnx_bytes']
        entry = dict(
            key=row['key'], name=row['name'],
            params=teacher['params'] / row['params'],
            macs=teacher['macs'] / row['macs'],
            size=teacher['checkpoint_fp32_bytes'] / size,
            latency={
                t: statistics.median(
                    a / b for a, b in zip(teacher['latency_rounds_ms'][t],
                                          row['latency_rounds_ms'][t]))
                for t in threads
            },
            throughput=statistics.median(
                a / b for a, b in zip(teacher['batch_rounds_s'],
                                      row['batch_rounds_s'])),
            top1_points=row['top1'] - teacher['top1'])
        out.append(entry)
    return out


def columns(threads, batch):
    """Header of the main table."""
    return [
        'model', 'runtime', 'input', 'top-1 (%)', 'params (M)', 'MACs (M)',
        'checkpoint fp32 (MB)', 'checkpoint fp16 (MB)', 'ONNX file (MB)',
        *(f'batch-1 latency, {t} thread{"s" * (t > 1)} (ms)'
          for t in threads),
        f'batch-{batch} throughput, {max(threads)} thread'
        f'{"s" * (max(threads) > 1)} (img/s)'
    ]


def ratio_columns(threads):
    """Header of the ratio table."""
    return [
        'model', 'params (teacher / model)', 'MACs (teacher / model)',
        'size (teacher fp32 / model)',
        *(f'latency, {t} thread{"s" * (t > 1)} (teacher / model)'
          for t in threads), 'throughput (model / teacher)',
        'top-1 (model - teacher, points)'
    ]


def _mb(value):
    return '-' if value is None else f'{value / 1e6:.3f}'


def markdown(rows, ratio_rows, args, meta) -> str:
    """``report.md``."""
    lines = [
        '# Compactness report', '',
        f'{meta["date"]}, {meta["cpu"]}, torch {meta["torch"]}, '
        f'onnxruntime {meta["onnxruntime"]}.', '',
        f'Command: `{meta["command"]}`', ''
    ]
    header = columns(args.threads, args.batch)
    lines += ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for r in rows:
        top1 = f'{r["top1"]:.4f}' + (' (given)'
                                     if r['top1_source'] == 'given' else '')
        cells = [
            r['name'], r['runtime'], f'{r["size"][0]}x{r["size"][1]}', top1,
            f'{r["params"] / 1e6:.3f}', f'{r["macs"] / 1e6:.2f}',
            _mb(r['checkpoint_fp32_bytes']), _mb(r['checkpoint_fp16_bytes']),
            _mb(r['onnx_bytes']),
            *(f'{r["latency_ms"][t]:.2f}' for t in args.threads),
            f'{r["throughput"]:.0f}'
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    sources = sorted({r['top1_source'] for r in rows} - {'given'})
    lines += [
        '', f'Top-1 measured on {", ".join(sources) or "-"}; "given": '
        'passed with --top1. Latency: median of '
        f'{args.rounds} interleaved rounds of {args.iters} calls after a '
        'warm-up; throughput: median of '
        f'{args.batch_rounds} rounds. ONNX rows repeat the PyTorch '
        "student's params and MACs.", ''
    ]
    header = ratio_columns(args.threads)
    lines += ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for r in ratio_rows:
        cells = [
            r['name'], f'{r["params"]:.1f}x', f'{r["macs"]:.1f}x',
            f'{r["size"]:.1f}x',
            *(f'{r["latency"][t]:.2f}x' for t in args.threads),
            f'{r["throughput"]:.2f}x', f'{r["top1_points"]:+.4f}'
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    budget = meta.get('student_budget')
    if budget:
        lines += ['', f'Student chosen for the budget {budget["budget"]} '
                  f'(member {budget["member"]} of its family, '
                  '`choose_student.py` on '
                  f'{budget.get("measured_on", "-")}).']
    if meta.get('linear_probe') is not None:
        lines += ['', 'Linear probe of the teacher\'s frozen ImageNet '
                  'features (logistic regression, the reference its '
                  f'fine-tuning must beat): top-1 {meta["linear_probe"]:.4f} '
                  '(`linear_probe.json` of the teacher\'s work dir).']
    lines += ['', '![top-1 against latency and MACs](report.png)', '']
    return '\n'.join(lines)


def plot(rows, threads, meta) -> bytes:
    """``report.png``: top-1 against batch-1 latency and against MACs."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import (FuncFormatter, LogLocator,
                                   NullFormatter)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    t = threads[0]
    for row in rows:
        for ax, x in zip(axes, (row['latency_ms'][t], row['macs'] / 1e6)):
            ax.scatter(x, row['top1'], s=60, marker=MARKERS[row['key']],
                       label=row['name'])
    if meta.get('linear_probe') is not None:
        for ax in axes:
            ax.axhline(meta['linear_probe'], color='grey', linestyle='--',
                       linewidth=1, label='linear probe of the teacher\'s '
                       'ImageNet features')
    axes[0].set_xlabel(f'batch-1 CPU latency, {t} thread'
                       f'{"s" * (t > 1)} (ms, log)')
    axes[1].set_xlabel('MACs (M, log)')
    for ax in axes:
        ax.set_xscale('log')
        # Plain numbers at 1-2-5 steps: a few ticks even when the models
        # span less than a decade.
        ax.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f'{v:g}'))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel('top-1 (%)')
        ax.grid(True, which='both', alpha=0.3)
    axes[1].legend(loc='best', fontsize='small')
    fig.suptitle(f'{meta["cpu"]}, {meta["date"]}', fontsize='small')
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=120)
    plt.close(fig)
    return buffer.getvalue()


def main(argv=None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    meta = dict(
        date=datetime.date.today().isoformat(), cpu=cpu_model(),
        torch=torch.__version__, onnxruntime=onnxruntime.__version__,
        command=' '.join(['python', *sys.argv]) if argv is None else
        ' '.join(['compact_report.py', *argv]))
    probe = load_probe_record(osp.dirname(osp.abspath(args.teacher[1])))
    meta['linear_probe'] = probe and probe['accuracy']
    rows = build_rows(args)
    student = next(r for r in rows if r['key'] == 'student')
    meta['student_budget'] = student['cfg'].get('student_budget')
    add_top1(rows, args)
    add_timings(rows, args)
    ratio_rows = ratios(rows, args.threads)
    keep = ('key', 'name', 'runtime', 'config', 'file', 'size', 'top1',
            'top1_source', 'params', 'macs', 'checkpoint_fp32_bytes',
            'checkpoint_fp16_bytes', 'checkpoint_file_bytes', 'onnx_bytes',
            'latency_ms', 'latency_rounds_ms', 'throughput',
            'batch_rounds_s')
    report = dict(
        meta, threads=args.threads, batch=args.batch, rounds=args.rounds,
        iters=args.iters, batch_rounds=args.batch_rounds,
        columns=columns(args.threads, args.batch),
        models=[{k: r[k] for k in keep} for r in rows], ratios=ratio_rows)
    text = markdown(rows, ratio_rows, args, meta)
    files = {
        'report.json': (json.dumps(report, indent=2, default=_json_default)
                        + '\n').encode(),
        'report.md': text.encode(),
        'report.png': plot(rows, args.threads, meta),
    }
    # All three made before any is written, each replaced whole: a run
    # that fails or is killed leaves the previous report, not a truncated
    # file or (but for a kill between the renames) a mix of two reports.
    for name, data in files.items():
        atomic_write(data, osp.join(args.out, name))
    print(text)
    print(f'wrote {args.out}/report.{{md,json,png}}')
    return 0


def _json_default(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise TypeError(f'{type(value).__name__} is not JSON serialisable')


if __name__ == '__main__':
    sys.exit(main())
