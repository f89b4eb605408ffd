"""Classify image files with a student checkpoint or its ONNX export.

    python demo/image_demo.py IMAGE [IMAGE ...] --config CONFIG \\
        (--checkpoint CHECKPOINT | --onnx FILE) [--topk K]

CONFIG is the student config (``configs/compact_*.py``, which also loads
joint-learning checkpoints). Prints one line per image: the path, then
class and score (softmax) of the top ``K`` classes.

Both back ends see the same pixels, those of the test set: the file is
read as RGB; when the config's test dataset stores images at an
``image_size`` (the scene sets), the shorter side is resized to it and the
centre square cut, as ``InMemoryCustomDataset`` does, else the image is
brought to the model's input size the same way; then the model's own
resize to its input size. ``--checkpoint`` runs mmpretrain's
``ImageClassificationInferencer``; ``--onnx`` runs ONNX Runtime on the
exported graph (``tools/deployment/export_onnx.py``: float32 RGB 0-255 at
the input size, normalisation inside).
"""
import argparse
import json
import os.path as osp
import sys

import mmcv
import numpy as np
import torch
from mmengine.config import DictAction
from mmpretrain.registry import DATASETS

import mmcompact  # noqa: F401  (registers modules, safe checkpoint loading)
from mmcompact.apis import (graph_inputs, load_classifier, load_config,
                            model_input_size, onnx_input_size, ort_session)
from mmcompact.datasets import InMemoryCustomDataset
from mmcompact.utils import build_data_preprocessor, model_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('images', nargs='+', help='image files')
    parser.add_argument('--config', required=True, help='student config')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--checkpoint', help='PyTorch checkpoint')
    source.add_argument('--onnx', help='exported ONNX file')
    parser.add_argument('--topk', type=int, default=1,
                        help='classes printed per image (default 1)')
    parser.add_argument('--input-size', type=int, default=None,
                        help='square input side of a checkpoint whose '
                        'preprocessor does not resize (e.g. 32 for CIFAR-10)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    args = parser.parse_args(argv)
    for path in [args.config, *args.images, args.checkpoint or args.onnx]:
        if not osp.isfile(path):
            parser.error(f'"{path}" not found')
    if args.topk < 1:
        parser.error(f'--topk must be >= 1, got {args.topk}')
    return args


def load_image(path: str, side: int) -> np.ndarray:
    """``path`` as an RGB ``(side, side, 3)`` uint8 array.

    The shorter side resized to ``side`` and the centre square cut, with
    the dataset's own function, so that the demo sees what the test set
    stores.
    """
    img = mmcv.imread(path, flag='color', channel_order='rgb')
    if img is None:
        raise ValueError(f'cannot read image "{path}"')
    return InMemoryCustomDataset._square(img, side)


def top_classes(scores: np.ndarray, classes, k: int) -> list:
    """``[(class, score), ...]`` of the ``k`` highest scores."""
    order = np.argsort(-scores)[:k]
    return [(classes[i] if classes else str(i), float(scores[i]))
            for i in order]


def classify(args) -> list:
    """``[(path, [(class, score), ...]), ...]`` for ``args.images``."""
    cfg = load_config(args.config, args.cfg_options)
    stored = cfg.test_dataloader.dataset.get('image_size')
    if args.checkpoint:
        from mmpretrain.apis import ImageClassificationInferencer
        model = load_classifier(cfg, args.checkpoint)
        side = stored or model_input_size(model, args.input_size)[0]
        flip = getattr(model.data_preprocessor, 'to_rgb', False)
        # The inferencer hands arrays to the test pipeline as they are; the
        # model expects the dataset's channel order (RGB unless the
        # preprocessor flips BGR itself).
        images = [
            np.ascontiguousarray(load_image(p, side)[..., ::-1]
                                 if flip else load_image(p, side))
            for p in args.images
        ]
        inferencer = ImageClassificationInferencer(model)
        classes = inferencer.classes
        results = inferencer(images)
        return [(path, top_classes(np.asarray(r['pred_scores']), classes,
                                   args.topk))
                for path, r in zip(args.images, results)]
    session = ort_session(args.onnx)
    size = onnx_input_size(session)
    meta = session.get_modelmeta().custom_metadata_map
    if 'classes' in meta:
        classes = json.loads(meta['classes'])
    else:  # as init_model falls back for a checkpoint without classes
        dataset = DATASETS.get(cfg.test_dataloader.dataset.type)
        classes = getattr(dataset, 'METAINFO', {}).get('classes')
    pre = build_data_preprocessor(model_config(cfg))
    # RGB arrays already: no channel flip, whatever the preprocessor does.
    pre.to_rgb = False
    side = stored or size[0]
    batch = torch.stack([
        torch.from_numpy(load_image(p, side)).permute(2, 0, 1)
        for p in args.images
    ])
    x = graph_inputs(batch, pre, size)
    logits = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    scores = torch.from_numpy(logits).softmax(1).numpy()
    return [(path, top_classes(s, classes, args.topk))
            for path, s in zip(args.images, scores)]


def main(argv=None) -> int:
    args = parse_args(argv)
    for path, top in classify(args):
        print(f'{path}: ' + ', '.join(f'{name} ({score:.4f})'
                                      for name, score in top))
    return 0


if __name__ == '__main__':
    sys.exit(main())
