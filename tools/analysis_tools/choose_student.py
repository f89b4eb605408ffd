"""Choose a compact student for a budget, measured on this machine.

    python tools/analysis_tools/choose_student.py JOINT_CONFIG \\
        [--macs 30M] [--params 1M] [--latency-ms 2 [--runtime ort-int8]] \\
        [--input-sizes 96 128] [--write [--pick NAME] [--out-dir DIR]]

The candidates are the family of JOINT_CONFIG's student
(``mmcompact.apis.student_family``: its ``CifarVGG`` scaled by one width
number, at the given input sizes), built with random weights and the
config's class count. For each: parameters and MACs (mmengine's complexity
analysis), and, for those within the ``--macs``/``--params`` budgets,
batch-1 latency in PyTorch and in ONNX Runtime fp32 and int8 (median of
interleaved rounds at ``--threads``, as ``model_cost.py``; the int8 graph
calibrated on random images: latency does not depend on the weights'
values) and training images/s (bf16 autocast forward, backward and SGD
step on a random batch of the config's batch size, with torch's default
threads, after two warm-up steps). A ``--latency-ms``
budget applies to ``--runtime``.

The pick is the member with the most MACs that fits every budget given
(``--pick`` names another). ``--write`` writes its ``compact_*`` +
``joint_*`` config pair (``mmcompact.apis.write_budget_configs``) next to
JOINT_CONFIG (or into ``--out-dir``); both train through the README's
commands, e.g. ``python tools/compact.py <written joint config> --amp``,
and the compact report prints the budget recorded in them.
``--json FILE`` keeps every number.
"""
import argparse
import copy
import json
import logging
import os.path as osp
import statistics
import sys
import tempfile
import time

import torch
from mmengine.config import DictAction
from mmengine.logging import MMLogger

import mmcompact  # noqa: F401  (registers modules)
from mmcompact.apis import (cpu_model, export_onnx,
                            load_classifier, load_config, model_complexity,
                            model_input_size, ort_timer, pytorch_timer,
                            quantize_int8, random_calibration,
                            student_config, student_family,
                            time_interleaved, write_budget_configs)
from mmcompact.apis.student_family import WIDTHS
from mmcompact.utils import autocast

RUNTIMES = ('pytorch', 'ort-fp32', 'ort-int8')


def count(text: str) -> float:
    """``'30M'``, ``'1.5m'``, ``'500k'``, ``'2e6'`` -> a number."""
    scale = {'k': 1e3, 'm': 1e6, 'g': 1e9}.get(text[-1:].lower())
    try:
        value = float(text[:-1] if scale else text) * (scale or 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected a number with an optional k/M/G suffix, got '
            f'"{text}"') from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f'must be > 0, got "{text}"')
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='joint config (its compact_* config '
                        'is the student the family scales)')
    parser.add_argument('--macs', type=count, help='MACs budget, e.g. 30M')
    parser.add_argument('--params', type=count,
                        help='parameters budget, e.g. 1M')
    parser.add_argument('--latency-ms', type=float,
                        help='batch-1 latency budget (ms) on --runtime')
    parser.add_argument('--runtime', choices=RUNTIMES, default='ort-int8',
                        help='runtime of --latency-ms (default ort-int8)')
    parser.add_argument('--threads', type=int, default=1,
                        help='threads for the latencies (default 1)')
    parser.add_argument('--widths', type=float, nargs='+',
                        default=list(WIDTHS), help='width multipliers')
    parser.add_argument('--input-sizes', type=int, nargs='+',
                        help="input sides (default: the config's)")
    parser.add_argument('--rounds', type=int, default=10)
    parser.add_argument('--iters', type=int, default=20,
                        help='batch-1 calls per model and round')
    parser.add_argument('--train-steps', type=int, default=3,
                        help='timed training steps per candidate (0: none)')
    parser.add_argument('--no-onnx', action='store_true',
                        help='skip the ONNX Runtime latencies')
    parser.add_argument('--write', action='store_true',
                        help="write the pick's compact_* + joint_* configs")
    parser.add_argument('--pick', help='member to write instead of the '
                        'largest that fits, e.g. w1.5')
    parser.add_argument('--out-dir', help='folder of the written configs '
                        '(default: the joint config\'s)')
    parser.add_argument('--json', help='write every number to this file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of both configs, e.g. '
        'model.head.num_classes=8')
    args = parser.parse_args(argv)
    if args.latency_ms is not None and args.latency_ms <= 0:
        parser.error(f'--latency-ms must be > 0, got {args.latency_ms}')
    if args.latency_ms and args.no_onnx and args.runtime != 'pytorch':
        parser.error(f'--latency-ms on {args.runtime} needs ONNX Runtime: '
                     'drop --no-onnx or use --runtime pytorch')
    for name in ('threads', 'rounds', 'iters'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} must be >= 1')
    if args.train_steps < 0:
        parser.error('--train-steps must be >= 0')
    if not osp.isfile(args.config):
        parser.error(f'"{args.config}" not found')
    return args


def build_candidates(args):
    """Build every member; params and MACs; whether they fit.

    Returns:
        tuple[str, list[dict]]: The compact config and one row per member.
    """
    compact = student_config(args.config)
    cfg = load_config(compact, args.cfg_options)
    rows = []
    # mmengine warns once per layer type its MAC counter skips
    # (activations, pooling: no multiply-adds); not for this table.
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        for member in student_family(cfg.to_dict(), args.widths,
                                     args.input_sizes):
            member_cfg = copy.deepcopy(cfg)
            member_cfg.merge_from_dict(member.override)
            model = load_classifier(member_cfg, None)
            size = model_input_size(model)
            params, macs = model_complexity(model, size)
            rows.append(dict(
                name=member.name, width=member.width, size=size,
                params=params, macs=macs, override=member.override,
                model=model, batch=member_cfg.train_dataloader.batch_size,
                fits_static=(args.macs is None or macs <= args.macs) and
                (args.params is None or params <= args.params)))
    finally:
        logger.setLevel(level)
    return compact, rows


def add_onnx(rows, scratch: str) -> None:
    """Export each row's network to ONNX fp32 and int8 in ``scratch``."""
    for row in rows:
        fp32 = osp.join(scratch, f'{row["name"]}.onnx')
        int8 = osp.join(scratch, f'{row["name"]}.int8.onnx')
        export_onnx(row['model'], row['size'], fp32, {})
        quantize_int8(fp32, int8, random_calibration(row['size']))
        row['onnx'] = {'ort-fp32': fp32, 'ort-int8': int8}


def add_latency(rows, args) -> None:
    """Batch-1 latency (ms) per runtime, all rows interleaved."""
    runners = {}
    for i, row in enumerate(rows):
        image = torch.rand(1, 3, *row['size']) * 255
        runners[(i, 'pytorch')] = pytorch_timer(row['model'], image)
        for runtime, path in row.get('onnx', {}).items():
            runners[(i, runtime)] = ort_timer(path, image.numpy())
    with torch.inference_mode():
        times = time_interleaved(runners, [args.threads], args.rounds,
                                 args.iters)
    for (i, runtime), per_threads in times.items():
        rows[i].setdefault('latency_ms', {})[runtime] = 1e3 * \
            statistics.median(per_threads[args.threads])


def add_train_speed(rows, steps: int) -> None:
    """Training images/s: bf16 autocast step on a random batch."""
    for row in rows:
        model = row['model']
        model.train()
        optim = torch.optim.SGD(model.parameters(), lr=1e-3)
        x = torch.rand(row['batch'], 3, *row['size'])

        def step():
            with autocast('cpu'):
                model(x, mode='tensor').float().sum().backward()
            optim.step()
            optim.zero_grad()

        step()  # warm-up: the first steps allocate and pick kernels
        step()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        row['train_img_s'] = row['batch'] * steps / (time.perf_counter() -
                                                     start)
        model.eval()


def fits(row, args) -> bool:
    if not row['fits_static']:
        return False
    if args.latency_ms is None:
        return True
    return row['latency_ms'][args.runtime] <= args.latency_ms


def budget_text(args) -> str:
    parts = []
    if args.macs:
        parts.append(f'MACs <= {args.macs / 1e6:g} M')
    if args.params:
        parts.append(f'params <= {args.params / 1e6:g} M')
    if args.latency_ms:
        parts.append(f'{args.runtime} batch-1 latency <= '
                     f'{args.latency_ms:g} ms ({args.threads} thread(s))')
    return ', '.join(parts) or 'none'


def table(rows, args) -> str:
    runtimes = [r for r in RUNTIMES
                if any(r in row.get('latency_ms', {}) for row in rows)]
    header = ['member', 'input', 'params (M)', 'MACs (M)']
    header += [f'{r} (ms)' for r in runtimes]
    header += ['train img/s'] if args.train_steps else []
    header += ['fits']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in rows:
        cells = [row['name'], f'{row["size"][0]}',
                 f'{row["params"] / 1e6:.3f}', f'{row["macs"] / 1e6:.2f}']
        cells += [f'{row["latency_ms"][r]:.3f}' if r in row.get(
            'latency_ms', {}) else '-' for r in runtimes]
        if args.train_steps:
            cells.append(f'{row["train_img_s"]:.0f}'
                         if 'train_img_s' in row else '-')
        cells.append('yes' if fits(row, args) else 'no')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        compact, rows = build_candidates(args)
    except ValueError as e:  # a student the family does not scale
        print(f'error: {e}', file=sys.stderr)
        return 1
    if args.pick and args.pick not in [r['name'] for r in rows]:
        print(f'error: --pick {args.pick}: no such member; the family has '
              f'{[r["name"] for r in rows]}', file=sys.stderr)
        return 1
    measured = [r for r in rows if r['fits_static'] or r['name'] == args.pick]
    print(f'{len(rows)} members of the family of {osp.basename(compact)}; '
          f'timing {len(measured)} on {cpu_model()}, torch '
          f'{torch.__version__}, {args.threads} thread(s)')
    with tempfile.TemporaryDirectory() as scratch:
        if not args.no_onnx:
            add_onnx(measured, scratch)
        if measured:
            add_latency(measured, args)
    if args.train_steps:
        add_train_speed(measured, args.train_steps)
    print(table(rows, args))
    fitting = [r for r in rows if fits(r, args)]
    pick = next((r for r in rows if r['name'] == args.pick), None) or max(
        fitting, key=lambda r: r['macs'], default=None)
    print(f'budget: {budget_text(args)}')
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(dict(
                config=args.config, compact_config=compact, cpu=cpu_model(),
                torch=torch.__version__, threads=args.threads,
                budget=budget_text(args), pick=pick and pick['name'],
                members=[{k: v for k, v in r.items()
                          if k not in ('model', 'onnx')} for r in rows]),
                f, indent=1)
    if pick is None:
        least = min(rows, key=lambda r: r['macs'])
        print(f'no member fits the budget; the smallest is {least["name"]} '
              f'({least["macs"] / 1e6:.2f} M MACs)', file=sys.stderr)
        return 1
    print(f'pick: {pick["name"]} ({pick["macs"] / 1e6:.2f} M MACs, '
          f'{pick["params"] / 1e6:.3f} M params)' +
          ('' if fits(pick, args) else ', named by --pick: it does NOT fit '
           'the budget'))
    if not args.write:
        return 0
    record = dict(
        budget=budget_text(args), member=pick['name'],
        fits=fits(pick, args),
        macs=pick['macs'], params=pick['params'],
        latency_ms=pick.get('latency_ms', {}), threads=args.threads,
        measured_on=f'{cpu_model()}, {time.strftime("%Y-%m-%d")}')
    paths = write_budget_configs(args.config, pick['name'],
                                 pick['override'], record, args.out_dir,
                                 args.cfg_options)
    print('wrote ' + ' and '.join(paths))
    print(f'train it: python tools/compact.py {paths[1]} --amp')
    return 0


if __name__ == '__main__':
    sys.exit(main())
