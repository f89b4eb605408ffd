"""Parameters, MACs, checkpoint size and batch-1 CPU latency of models.

    python tools/analysis_tools/model_cost.py TEACHER_CONFIG STUDENT_CONFIG \
        --checkpoints T.pth S.pth --input-size 128

Each model is built from its config (its own data_preprocessor, so every
model is timed at its own input size: ``size`` of a resizing preprocessor,
else ``--input-size``) in eval mode. MACs come from mmengine's complexity
analysis. Latency: one image, forward pass of the whole classifier
(preprocessing included) under ``torch.inference_mode``; after a warm-up,
the models are timed in interleaved rounds in this one process, so that a
slower or busier moment of the machine hits all of them alike; the median
over rounds is printed, per thread count.
"""
import argparse
import os.path as osp
import platform
import statistics
import time

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

import mmcompact  # noqa: F401
from mmcompact.utils import model_config


def parse_args():
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
    return parser.parse_args()


def cpu_model() -> str:
    """The CPU's model name as /proc/cpuinfo gives it."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


def main():
    args = parse_args()
    if args.checkpoints and len(args.checkpoints) != len(args.configs):
        raise ValueError(f'{len(args.configs)} configs but '
                         f'{len(args.checkpoints)} checkpoints')
    init_default_scope('mmpretrain')
    models = []
    for i, path in enumerate(args.configs):
        cfg = Config.fromfile(path)
        model_cfg = model_config(cfg)
        model_cfg.pop('init_cfg', None)
        model_cfg.backbone.pop('init_cfg', None)
        model = MODELS.build(model_cfg).eval()
        ckpt = args.checkpoints[i] if args.checkpoints else None
        if ckpt:
            load_checkpoint(model, ckpt, map_location='cpu', logger='silent')
        size = getattr(model.data_preprocessor, 'size', None) or (
            args.input_size, ) * 2
        info = get_model_complexity_info(
            model, input_shape=(3, *size), show_table=False,
            show_arch=False)
        image = torch.randint(0, 256, (1, 3, *size), dtype=torch.uint8)
        models.append(
            dict(name=osp.basename(path), model=model, size=size,
                 params=info['params'], macs=info['flops'],
                 ckpt_mb=osp.getsize(ckpt) / 1e6 if ckpt else None,
                 data={'inputs': image.float()}, times={}))
    print(f'CPU: {cpu_model()}, torch {torch.__version__}')
    for threads in args.threads:
        torch.set_num_threads(threads)
        with torch.inference_mode():
            for m in models:  # warm-up
                for _ in range(args.iters):
                    m['model'](m['model'].data_preprocessor(
                        m['data'])['inputs'], mode='tensor')
            for _ in range(args.rounds):
                for m in models:
                    start = time.perf_counter()
                    for _ in range(args.iters):
                        m['model'](m['model'].data_preprocessor(
                            m['data'])['inputs'], mode='tensor')
                    m['times'].setdefault(threads, []).append(
                        (time.perf_counter() - start) / args.iters)
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
