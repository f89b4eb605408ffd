"""Export a student checkpoint to ONNX, verify it in ONNX Runtime, int8.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out FILE.onnx \
        [--verify] [--int8 --calib N] [--eval]

CONFIG is the classifier config that loads CHECKPOINT: the student config
(``configs/compact_*.py``) for a checkpoint of joint learning, which holds
the student only.

The graph
    input ``input``: ``float32`` ``(N, 3, H, W)``, RGB, raw pixel values in
    the uint8 range 0-255 (not normalised), ``H x W`` the model's input
    size (its data preprocessor's ``size``, else ``--input-size``); the
    batch dimension is dynamic. The data preprocessor's mean/std are folded
    into the graph. Resize images to ``H x W`` before (as the model's test
    path does; ``demo/image_demo.py`` shows how).
    output ``logits``: ``float32`` ``(N, num_classes)``; softmax gives the
    scores. The file's metadata (``metadata_props``) repeats this and lists
    the class names.

``--verify`` runs the exported file in ONNX Runtime on ``--verify-images``
real test images of the config's test dataloader, next to the PyTorch
model on the same batches (its own test path: normalise, resize), and
prints the largest |logit difference| and the top-1 agreement. The tool
exits with status 1, and writes no file, when the difference exceeds
``--atol`` or the agreement is below ``--min-agreement``.

``--int8`` quantises the fp32 graph statically with ONNX Runtime
(``quantize_static``: QDQ format, per-channel int8 weights, uint8
activations calibrated on ``--calib`` evenly spaced training images seen
as at test time) into ``FILE`` with ``.int8.onnx`` in place of
``.onnx``. With ``--verify`` its difference to PyTorch is printed too
(no tolerance: quantisation changes the logits). ``--eval`` scores the
fp32 and int8 graphs on the test set (``--eval-images`` limits it) with the
config's evaluator, prints both top-1 values, and exits with status 1 when
int8 is more than ``--max-int8-drop`` points below fp32.

Exporter: ``torch.onnx.export(..., dynamo=True)`` (PyTorch's supported
exporter; it needs the ``onnxscript`` package) and ONNX Runtime, not
mmdeploy. mmdeploy 1.3.1 does install from PyPI, but only by downgrading
``onnx`` to 1.17 and ``protobuf`` to 3.20; its ``torch2onnx`` calls
``torch.onnx.export`` expecting the TorchScript exporter, which PyTorch
2.9+ no longer runs by default (the call fails without onnxscript and its
symbolic rewrites do not apply to the dynamo exporter), and its custom ops
need the full ``mmcv`` where this stack has ``mmcv-lite``. A plain
classifier needs none of its rewrites.

Files are written to a temporary name in the output folder and renamed
when complete and verified (``mmcompact.utils.atomic_path``).
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import DictAction

import mmcompact  # noqa: F401  (registers modules, safe checkpoint loading)
from mmcompact.apis import (CalibrationBatches, eval_dataloader,
                            evaluate_top1, export_onnx, graph_inputs,
                            load_classifier, load_config, model_input_size,
                            ort_predictor, ort_session, quantize_int8)
from mmcompact.utils import atomic_path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog=__doc__.split('\n\n', 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='student (classifier) config')
    parser.add_argument('checkpoint', help='checkpoint it loads')
    parser.add_argument('--out', required=True, help='ONNX file to write')
    parser.add_argument(
        '--input-size', type=int, default=None,
        help='square input side for a model whose preprocessor does not '
        'resize (e.g. 32 for the CIFAR-10 students); a resizing '
        "preprocessor's size wins")
    parser.add_argument('--opset', type=int, default=18,
                        help='ONNX opset (default 18)')
    parser.add_argument('--verify', action='store_true',
                        help='compare ONNX Runtime with PyTorch on test '
                        'images')
    parser.add_argument('--verify-images', type=int, default=64,
                        help='test images for --verify (default 64)')
    parser.add_argument('--atol', type=float, default=1e-3,
                        help='largest |logit difference| --verify accepts '
                        '(default 1e-3)')
    parser.add_argument('--min-agreement', type=float, default=0.99,
                        help='smallest top-1 agreement (fraction) --verify '
                        'accepts (default 0.99)')
    parser.add_argument('--int8', action='store_true',
                        help='also write FILE.int8.onnx (static int8)')
    parser.add_argument('--calib', type=int, default=256,
                        help='training images to calibrate int8 on '
                        '(default 256)')
    parser.add_argument(
        '--calib-method', choices=['MinMax', 'Entropy', 'Percentile'],
        default='MinMax', help='ONNX Runtime calibration method')
    parser.add_argument('--eval', action='store_true',
                        help='top-1 of the fp32 and int8 graphs on the '
                        'test set')
    parser.add_argument('--eval-images', type=int, default=None,
                        help='evenly spaced test images for --eval '
                        '(default: all)')
    parser.add_argument('--max-int8-drop', type=float, default=0.5,
                        help='largest top-1 drop (points) of int8 below '
                        'fp32 that --eval accepts (default 0.5)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. '
        'test_dataloader.dataset.data_root=data/intel_scenes')
    args = parser.parse_args(argv)
    if not args.out.endswith('.onnx'):
        parser.error(f'--out must end with .onnx, got "{args.out}"')
    for name in ('verify_images', 'calib', 'eval_images'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got '
                         f'{value}')
    if args.atol < 0 or not 0 <= args.min_agreement <= 1:
        parser.error('--atol must be >= 0 and --min-agreement in [0, 1]')
    if args.eval and not args.int8:
        parser.error('--eval compares the int8 graph with fp32: add --int8')
    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            parser.error(f'"{path}" not found')
    return args


def int8_path(path: str) -> str:
    """``x.onnx`` -> ``x.int8.onnx``."""
    return path[:-len('.onnx')] + '.int8.onnx'


class Refused(Exception):
    """A check failed: the output it guards is not written."""


def graph_metadata(model, size, config: str, checkpoint: str) -> dict:
    """The input/output contract written into the ONNX file."""
    wrapper_doc = (f'float32 (N, 3, {size[0]}, {size[1]}) RGB, raw values '
                   '0-255 (uint8 range, not normalised), batch dynamic')
    pre = model.data_preprocessor
    classes = (getattr(model, 'dataset_meta', None)
               or getattr(model, '_dataset_meta', None) or {}).get('classes')
    meta = {
        'input': wrapper_doc,
        'input_layout': 'NCHW',
        'input_channel_order': 'RGB',
        'input_dtype': 'float32',
        'input_range': '0-255',
        'input_size': f'{size[0]}x{size[1]}',
        'output': 'logits (N, num_classes), float32',
        'normalization_folded': json.dumps({
            'mean': pre.mean.flatten().tolist(),
            'std': pre.std.flatten().tolist()
        } if getattr(pre, '_enable_normalize', False) else None),
        'source_config': osp.basename(config),
        'source_checkpoint': osp.basename(checkpoint),
        'exporter': f'torch.onnx (dynamo) torch {torch.__version__}',
    }
    if classes:
        meta['classes'] = json.dumps(list(classes))
    return meta


def compare(model, session, dataloader, size):
    """Largest |logit difference| and top-1 agreement, PyTorch vs ORT.

    PyTorch runs its own test path (``data_preprocessor`` then the
    network) on each batch, ONNX Runtime the same images as the graph takes
    them (:func:`mmcompact.apis.graph_inputs`).

    Returns:
        tuple[float, int, int]: Max difference, agreeing and total images.
    """
    name = session.get_inputs()[0].name
    worst, agree, total = 0.0, 0, 0
    with torch.inference_mode():
        for batch in dataloader:
            data = model.data_preprocessor(batch, False)
            ref = model(data['inputs'], mode='tensor').float().numpy()
            x = graph_inputs(batch['inputs'], model.data_preprocessor, size)
            out = session.run(None, {name: x.numpy()})[0]
            worst = max(worst, float(np.abs(out - ref).max()))
            agree += int((out.argmax(1) == ref.argmax(1)).sum())
            total += len(ref)
    return worst, agree, total


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    model = load_classifier(cfg, args.checkpoint)
    size = model_input_size(model, args.input_size)
    print(f'{args.config}: input float32 (N, 3, {size[0]}, {size[1]}) RGB '
          '0-255, output logits')
    try:
        with atomic_path(args.out, suffix='.onnx') as tmp:
            export_onnx(model, size, tmp,
                        graph_metadata(model, size, args.config,
                                       args.checkpoint), args.opset)
            fp32_session = ort_session(tmp)
            if args.verify:
                loader = eval_dataloader(cfg, 'test', args.verify_images)
                worst, agree, total = compare(model, fp32_session, loader,
                                              size)
                ok = worst <= args.atol and agree >= args.min_agreement * total
                print(f'verify fp32: {total} test images, max |dlogit| '
                      f'{worst:.3g} (tolerance {args.atol:g}), top-1 '
                      f'agreement {agree}/{total} = '
                      f'{100 * agree / total:.4f} % (required >= '
                      f'{100 * args.min_agreement:g} %): '
                      f'{"OK" if ok else "FAILED"}')
                if not ok:
                    raise Refused('the ONNX graph disagrees with PyTorch; '
                                  f'{args.out} not written')
        print(f'wrote {args.out} ({osp.getsize(args.out) / 1e6:.3f} MB)')
        if not args.int8:
            return 0
        out_int8 = int8_path(args.out)
        calib = eval_dataloader(cfg, 'train', args.calib)
        with atomic_path(out_int8, suffix='.onnx') as tmp_int8:
            quantize_int8(
                args.out, tmp_int8,
                CalibrationBatches(
                    graph_inputs(b['inputs'], model.data_preprocessor,
                                 size).numpy() for b in calib),
                args.calib_method)
            int8_session = ort_session(tmp_int8)
            if args.verify:
                worst, agree, total = compare(model, int8_session, loader,
                                              size)
                print(f'verify int8: {total} test images, max |dlogit| '
                      f'{worst:.3g}, top-1 agreement with PyTorch {agree}/'
                      f'{total} = {100 * agree / total:.4f} %')
        print(f'wrote {out_int8} ({osp.getsize(out_int8) / 1e6:.3f} MB, '
              f'{len(calib.dataset)} calibration images, '
              f'{args.calib_method})')
        if args.eval:
            loader = eval_dataloader(cfg, 'test', args.eval_images)
            top1 = {
                name: evaluate_top1(
                    ort_predictor(session, model.data_preprocessor), loader,
                    cfg)
                for name, session in (('fp32', fp32_session),
                                      ('int8', int8_session))
            }
            drop = top1['fp32'] - top1['int8']
            ok = drop <= args.max_int8_drop
            print(f'top-1 on {len(loader.dataset)} test images: ONNX fp32 '
                  f'{top1["fp32"]:.4f} %, int8 {top1["int8"]:.4f} % (drop '
                  f'{drop:.4f} points, allowed {args.max_int8_drop:g}): '
                  f'{"OK" if ok else "FAILED"}')
            if not ok:
                return 1
        return 0
    except Refused as e:
        print(f'error: {e}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
