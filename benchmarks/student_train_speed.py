"""Training speed of candidate compact students at one input size, on CPU.

    python benchmarks/student_train_speed.py --size 96 --batch 128

Builds each candidate as an mmpretrain ``ImageClassifier`` (global pooling,
linear head), prints its MACs and parameters (mmengine's complexity
analysis) and times bf16 training steps (forward, backward, SGD step) on a
random batch, interleaving the candidates over ``--rounds`` rounds so that
the machine's state hits all of them alike. Prints img/s per round.
"""
import argparse
import time

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import mmcompact  # noqa: F401

CANDIDATES = {
    'MobileNetV2 x0.35': (dict(type='MobileNetV2', widen_factor=0.35), 1280),
    'CifarVGG 24/64/128, 4x4/4 stem': (dict(
        type='CifarVGG', widths=(24, 64, 128), stem_kernel_size=4,
        stem_stride=4), 128),
    'CifarVGG 32/64/128, 4x4/4 stem': (dict(
        type='CifarVGG', widths=(32, 64, 128), stem_kernel_size=4,
        stem_stride=4), 128),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, default=96)
    parser.add_argument('--batch', type=int, default=128)
    parser.add_argument('--classes', type=int, default=6)
    parser.add_argument('--rounds', type=int, default=4)
    parser.add_argument('--steps', type=int, default=2,
                        help='timed steps per candidate and round')
    args = parser.parse_args()
    init_default_scope('mmpretrain')
    with open('/proc/cpuinfo', encoding='utf-8') as f:
        cpu = next((line.split(':', 1)[1].strip() for line in f
                    if line.startswith('model name')), 'unknown CPU')
    print(f'CPU: {cpu}, torch {torch.__version__}')
    x = torch.randn(args.batch, 3, args.size, args.size)
    runs = []
    for name, (backbone, channels) in CANDIDATES.items():
        model = MODELS.build(
            dict(type='ImageClassifier', backbone=backbone,
                 neck=dict(type='GlobalAveragePooling'),
                 head=dict(type='LinearClsHead', num_classes=args.classes,
                           in_channels=channels)))
        info = get_model_complexity_info(
            model, input_shape=(3, args.size, args.size), show_table=False,
            show_arch=False)
        optim = torch.optim.SGD(model.parameters(), lr=0.01)
        runs.append((name, model, optim, info, []))

    def step(model, optim):
        with torch.autocast('cpu', dtype=torch.bfloat16):
            model(x, mode='tensor').float().sum().backward()
        optim.step()
        optim.zero_grad()

    for _ in range(args.rounds):
        for name, model, optim, info, speeds in runs:
            step(model, optim)  # warm-up
            start = time.perf_counter()
            for _ in range(args.steps):
                step(model, optim)
            speeds.append(args.batch * args.steps /
                          (time.perf_counter() - start))
    for name, _, _, info, speeds in runs:
        print(f'{name}: {info["flops"] / 1e6:.2f} M MACs, '
              f'{info["params"] / 1e6:.3f} M params, training img/s '
              + ' / '.join(f'{s:.0f}' for s in speeds))


if __name__ == '__main__':
    main()
