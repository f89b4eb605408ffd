"""Print the parameters and MACs of a classifier config.

Usage::

    python tools/analysis_tools/complexity.py CONFIG --shape 32 32

The whole ``cfg.model`` is counted (backbone, neck and head, without the
data preprocessor), on one ``1x3xHxW`` input, with mmengine's
``get_model_complexity_info``. mmengine counts one multiply-add as one FLOP,
so its FLOPs are MACs; it also adds small elementwise terms for BN and
pooling. ``mmcompact`` must be importable (``pip install -e .`` or
``PYTHONPATH=.``) when the config imports it.
"""
import argparse
import sys

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings
from mmpretrain.registry import MODELS


def parse_args():
    parser = argparse.ArgumentParser(
        description='Print params and MACs of cfg.model')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        default=[32, 32],
        help='input size: H W, or one value for a square input')
    return parser.parse_args()


def main():
    args = parse_args()
    if len(args.shape) == 1:
        shape = (args.shape[0], args.shape[0])
    elif len(args.shape) == 2:
        shape = tuple(args.shape)
    else:
        raise ValueError(f'--shape takes 1 or 2 values, got {args.shape}')

    # Import custom modules ourselves, so that a failure surfaces here.
    cfg = Config.fromfile(args.config, import_custom_modules=False)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg['custom_imports'])

    if cfg.model.get('type') == 'JointLearningClassifier':
        # The joint model holds teacher and student; its count would mix
        # both and say nothing about the deployed network.
        sys.exit(f'error: {args.config} builds a JointLearningClassifier '
                 '(teacher + student). Analyse the student config '
                 '(configs/compact_*.py) instead.')

    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    model.eval()

    # ImageClassifier.forward defaults to mode='tensor': backbone, neck
    # and head run on the raw tensor, so the head is counted too.
    inputs = torch.randn(1, 3, *shape)
    with torch.no_grad():
        info = get_model_complexity_info(
            model, inputs=inputs, show_table=False, show_arch=False)
    print(f'model: {cfg.model.get("type")}  input: 1x3x{shape[0]}x{shape[1]}')
    print(f'params: {info["params"] / 1e6:.4f} M ({info["params"]})')
    print(f'MACs:   {info["flops"] / 1e6:.2f} M ({info["flops"]})')


if __name__ == '__main__':
    main()
