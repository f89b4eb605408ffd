"""ONNX export and static int8 quantisation of a classifier.

Used by ``tools/deployment/export_onnx.py`` (files a user ships) and
``tools/analysis_tools/choose_student.py`` (latency of candidate students).
"""
import os.path as osp
import tempfile
from typing import Iterable, Tuple

import numpy as np
import onnx
import torch
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod,
                                      QuantFormat, QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process
from torch import nn

from .normalized_classifier import NormalizedClassifier

#: Name of the graph's input and output.
INPUT_NAME, OUTPUT_NAME = 'input', 'logits'


def export_onnx(model: nn.Module,
                size: Tuple[int, int],
                path: str,
                metadata: dict,
                opset: int = 18) -> None:
    """Export ``NormalizedClassifier(model)`` to ``path`` (overwritten).

    Args:
        model (nn.Module): The classifier, eval mode.
        size (tuple[int, int]): Input ``(h, w)``.
        path (str): Output file.
        metadata (dict): Written to the model's ``metadata_props``; its
            ``'input'`` entry is also the graph's doc string.
        opset (int): ONNX opset. Defaults to 18.
    """
    wrapper = NormalizedClassifier(model).eval()
    # Batch 2: a traced batch of 1 would be specialised to a constant.
    example = torch.rand(2, 3, *size) * 255
    program = torch.onnx.export(
        wrapper, (example, ),
        dynamo=True,
        input_names=[INPUT_NAME],
        output_names=[OUTPUT_NAME],
        dynamic_shapes=({0: torch.export.Dim('batch')}, ),
        opset_version=opset,
        external_data=False,
        verbose=False)
    proto = program.model_proto
    proto.doc_string = metadata.get('input', '')
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, path)


class CalibrationBatches(CalibrationDataReader):
    """ONNX Runtime calibration data from an iterable of input batches.

    Args:
        batches (Iterable[np.ndarray]): ``float32 (N, 3, H, W)`` batches as
            the graph takes them (raw 0-255 RGB).
    """

    def __init__(self, batches: Iterable[np.ndarray]):
        self._batches = ({INPUT_NAME: b} for b in batches)

    def get_next(self):
        return next(self._batches, None)


def random_calibration(size: Tuple[int, int], batches: int = 2,
                       batch_size: int = 8) -> CalibrationBatches:
    """Calibration on random 0-255 images (seeded), for graphs that are
    only timed: their latency does not depend on the calibrated ranges."""
    rng = np.random.default_rng(0)
    return CalibrationBatches(
        rng.uniform(0, 255, (batch_size, 3, *size)).astype(np.float32)
        for _ in range(batches))


def quantize_int8(fp32_path: str,
                  out_path: str,
                  calibration: CalibrationDataReader,
                  method: str = 'MinMax') -> None:
    """Static int8 quantisation of an ONNX classifier (QDQ, per channel).

    Args:
        fp32_path (str): The fp32 graph.
        out_path (str): The int8 graph (overwritten).
        calibration (CalibrationDataReader): Calibration batches.
        method (str): ``CalibrationMethod`` name. Defaults to 'MinMax'.
    """
    # ORT's recommended pre-processing: shape inference and graph
    # optimisation (BatchNorm folded into the convolutions) so that the
    # folded weights are what gets quantised.
    with tempfile.TemporaryDirectory(
            dir=osp.dirname(osp.abspath(out_path))) as scratch:
        pre_path = osp.join(scratch, 'pre_processed.onnx')
        quant_pre_process(fp32_path, pre_path, skip_symbolic_shape=True)
        quantize_static(
            pre_path,
            out_path,
            calibration,
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=getattr(CalibrationMethod, method),
            # A BatchNorm that no convolution absorbs (after a pooling) has
            # 1-D per-channel weights: their channel axis is 0, not 1.
            extra_options={
                'QDQOpTypePerChannelSupportToAxis': {
                    'BatchNormalization': 0
                }
            })
