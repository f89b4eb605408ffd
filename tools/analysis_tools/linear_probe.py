"""Linear probe of a classifier config's frozen features (seconds).

    python tools/analysis_tools/linear_probe.py TEACHER_CONFIG --amp

Builds the config's model with its pretrained weights (or ``--checkpoint``),
extracts the pre-logit features of the training images (validation
pipeline: whole images, at the model's own input size) and of the
validation set, fits a logistic regression (L-BFGS, its L2 weight chosen
by 5-fold cross-validation) and prints its top-1 on the validation set:
the accuracy fine-tuning must beat to have paid.
"""
import argparse
import json
import os.path as osp

import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS

import mmcompact  # noqa: F401
from mmcompact.apis import cpu_model, linear_probe
from mmcompact.utils import (autocast, load_checked_config,
                             load_checkpoint_strictly, model_config)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='classifier (teacher) config')
    parser.add_argument('--checkpoint', default=None,
                        help='probe these weights instead of the '
                        "config's pretrained ones")
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast on CPU (fp16 on GPU)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--out', default=None, help='also write a JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_checked_config(args.config, args.cfg_options)
    init_default_scope('mmpretrain')
    model = MODELS.build(model_config(cfg))
    if args.checkpoint:
        load_checkpoint_strictly(model, args.checkpoint)
    else:
        model.init_weights()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model.to(device)
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)

    def context():
        return autocast(device, args.amp)

    result = linear_probe(model, train, val, args.batch_size, context)
    size = getattr(model.data_preprocessor, 'size', None)
    print(f'{osp.basename(args.config)}: linear probe top-1 '
          f'{result["accuracy"]:.2f}% on {result["num_val"]} validation '
          f'images (fitted on {result["num_train"]} training images'
          + (f' at {size[0]}x{size[1]} px' if size else '')
          + f'; L2 weight {result["weight_decay"]:g} by 5-fold CV, CV top-1 '
          f'{result["cv_accuracy"]:.2f}%) in {result["seconds"]:.1f} s on '
          f'{cpu_model() if device == "cpu" else device}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump({k: v for k, v in result.items() if k != 'probe'}, f,
                      indent=1)


if __name__ == '__main__':
    main()
