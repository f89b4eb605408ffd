"""Parameters, MACs, checkpoint size and batch-1 CPU latency of models.

    python tools/analysis_tools/model_cost.py TEACHER_CONFIG STUDENT_CONFIG \
        --checkpoints T.pth S.pth --input-size 128

Each model is built from its config (its own data_preprocessor, so every
model is timed at its own input size: ``size`` of a resizing preprocessor,
else ``--input-size``) in eval mode, and its checkpoint loaded strictly: one
that does not fit the config's model is refused, not measured half random.
A joint-learning checkpoint holds the student only: give its student config
(``configs/compact_*.py``). MACs come from mmengine's complexity
analysis. Latency: one image, forward pass of the whole classifier
(preprocessing included) under ``torch.inference_mode``; after a warm-up,
the models are timed in interleaved rounds in this one process, so that a
slower or busier moment of the machine hits all of them alike; the median
over rounds is printed, per thread count.
"""
import argparse
import os.path as osp
import statistics

import torch

import mmcompact  # noqa: F401
from mmcompact.apis import (cpu_model, load_classifier, load_config,
                            model_complexity, model_input_size,
                            pytorch_timer, time_interleaved)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='model configs')
    parser.add_argument('--checkpoints', nargs='+', default=None,
                        help='checkpoints, one per config (sizes on disk)')
    parser.add_argument('--input-size', type=int, default=224,
                        help='input side for models whose preprocessor '
                        'does not resize')
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--iters', type=int, default=10,
                        help='forward passes per model and round')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.checkpoints and len(args.checkpoints) != len(args.configs):
        raise ValueError(f'{len(args.configs)} configs but '
                         f'{len(args.checkpoints)} checkpoints')
    models = []
    for i, path in enumerate(args.configs):
        ckpt = args.checkpoints[i] if args.checkpoints else None
        model = load_classifier(load_config(path), ckpt)
        size = model_input_size(model, args.input_size)
        params, macs = model_complexity(model, size)
        image = torch.randint(0, 256, (1, 3, *size), dtype=torch.uint8)
        models.append(
            dict(name=osp.basename(path), model=model, size=size,
                 params=params, macs=macs,
                 ckpt_mb=osp.getsize(ckpt) / 1e6 if ckpt else None,
                 image=image.float()))
    print(f'CPU: {cpu_model()}, torch {torch.__version__}')

    times = time_interleaved({i: pytorch_timer(m['model'], m['image'])
                              for i, m in enumerate(models)},
                             args.threads, args.rounds, args.iters)
    for i, m in enumerate(models):
        m['times'] = times[i]
    header = ['model', 'input', 'params (M)', 'MACs (M)', 'checkpoint (MB)']
    header += [f'batch-1 latency, {t} thread(s) (ms)' for t in args.threads]
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '---|' * len(header))
    for m in models:
        row = [m['name'], f'{m["size"][0]}x{m["size"][1]}',
               f'{m["params"] / 1e6:.3f}', f'{m["macs"] / 1e6:.1f}',
               f'{m["ckpt_mb"]:.2f}' if m['ckpt_mb'] else '-']
        row += [f'{1e3 * statistics.median(m["times"][t]):.2f}'
                for t in args.threads]
        print('| ' + ' | '.join(row) + ' |')


if __name__ == '__main__':
    main()
