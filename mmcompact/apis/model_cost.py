"""Cost measurements shared by the analysis and deployment tools.

``tools/analysis_tools/model_cost.py``, ``compact_report.py``,
``choose_student.py`` and ``benchmarks/student_front.py`` measure
parameters, MACs, checkpoint sizes and CPU latency the same way through
these functions.
"""
import os
import os.path as osp
import platform
import tempfile
import time
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from mmengine.analysis import get_model_complexity_info
from torch import nn

from .deployment import ort_session


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


def model_input_size(model: nn.Module,
                     default: Optional[int] = None) -> Tuple[int, int]:
    """The ``(h, w)`` a classifier runs at.

    A resizing data preprocessor (``RandomViewClsDataPreprocessor``) fixes
    the network's input size; other models run at whatever the test
    pipeline hands them, which the caller states as ``default``.

    Args:
        model (nn.Module): A classifier with a ``data_preprocessor``.
        default (int, optional): Square side for a model whose
            preprocessor does not resize (ignored for one that does).
            Defaults to None.

    Returns:
        tuple[int, int]: Height and width.
    """
    size = getattr(getattr(model, 'data_preprocessor', None), 'size', None)
    if size:
        return tuple(int(s) for s in size)
    if default is None:
        raise ValueError(
            f'{type(model.data_preprocessor).__name__} does not resize, so '
            'the input size is unknown: give it (e.g. --input-size 32 for '
            'CIFAR-10).')
    return (default, default)


def model_complexity(model: nn.Module,
                     size: Sequence[int]) -> Tuple[int, int]:
    """Parameters and MACs of a classifier on one ``1x3xHxW`` input.

    mmengine's complexity analysis of the whole classifier (backbone, neck,
    head; not the data preprocessor). mmengine counts a multiply-add as one
    FLOP, so its FLOPs are MACs.

    Args:
        model (nn.Module): The classifier, in eval mode.
        size (Sequence[int]): Input ``(h, w)``.

    Returns:
        tuple[int, int]: Parameters and MACs.
    """
    info = get_model_complexity_info(
        model, input_shape=(3, *size), show_table=False, show_arch=False)
    return info['params'], info['flops']


def state_dict_sizes(model: nn.Module) -> Tuple[int, int]:
    """Bytes of the model's weights saved as fp32 and as fp16 checkpoints.

    Both files hold only ``{'state_dict': ...}`` (what
    ``tools/publish_model.py`` ships, without optimizer or runner state),
    floating tensors cast to the precision, integer buffers kept.

    Args:
        model (nn.Module): The model whose ``state_dict()`` is saved.

    Returns:
        tuple[int, int]: fp32 and fp16 file sizes in bytes.
    """
    state = model.state_dict()
    sizes = []
    with tempfile.TemporaryDirectory() as folder:
        for dtype in (torch.float32, torch.float16):
            cast = {
                k: v.detach().to(dtype) if v.is_floating_point() else v
                for k, v in state.items()
            }
            path = osp.join(folder, f'{dtype}.pth')
            torch.save({'state_dict': cast}, path)
            sizes.append(os.path.getsize(path))
    return sizes[0], sizes[1]


def pytorch_timer(model: nn.Module, inputs: torch.Tensor
                  ) -> Callable[[int], Callable[[], None]]:
    """:func:`time_interleaved` factory: the classifier's preprocessing and
    forward pass on ``inputs`` (raw pixel values)."""
    data = {'inputs': inputs}
    return lambda threads: lambda: model(
        model.data_preprocessor(data)['inputs'], mode='tensor')


def ort_timer(path: str, inputs) -> Callable[[int], Callable[[], None]]:
    """:func:`time_interleaved` factory: an ONNX Runtime session of
    ``path`` (built for the thread count) run on ``inputs`` (numpy)."""

    def make(threads):
        session = ort_session(path, threads)
        name = session.get_inputs()[0].name
        return lambda: session.run(None, {name: inputs})

    return make


def time_interleaved(runners: Dict[str, Callable[[int], Callable[[], None]]],
                     threads: Sequence[int],
                     rounds: int,
                     iters: int,
                     warmup: Optional[int] = None
                     ) -> Dict[str, Dict[int, list]]:
    """Time several models in interleaved rounds in this one process.

    For every thread count, each model first runs ``warmup`` calls (not
    timed); then every round times ``iters`` calls of each model in turn,
    so that a slower or busier moment of the machine hits all of them
    alike. Ratios between models are best taken round by round.

    Args:
        runners (dict): Name to a factory that takes the thread count and
            returns the call to time (a PyTorch forward, an ONNX Runtime
            session run). ``torch.set_num_threads`` is set before the
            factory is called; a runtime with its own pool (ONNX Runtime)
            builds it for the given count.
        threads (Sequence[int]): Thread counts.
        rounds (int): Timed rounds.
        iters (int): Calls per model and round.
        warmup (int, optional): Untimed calls per model and thread count.
            Defaults to ``iters``.

    Returns:
        dict: ``{name: {threads: [seconds per call, one per round]}}``.
    """
    if rounds < 1 or iters < 1:
        raise ValueError(f'rounds and iters must be >= 1, got {rounds}, '
                         f'{iters}')
    warmup = iters if warmup is None else warmup
    times = {name: {} for name in runners}
    old_threads = torch.get_num_threads()
    try:
        for count in threads:
            torch.set_num_threads(count)
            calls = {name: make(count) for name, make in runners.items()}
            with torch.inference_mode():
                for call in calls.values():
                    for _ in range(warmup):
                        call()
                for _ in range(rounds):
                    for name, call in calls.items():
                        start = time.perf_counter()
                        for _ in range(iters):
                            call()
                        times[name].setdefault(count, []).append(
                            (time.perf_counter() - start) / iters)
    finally:
        torch.set_num_threads(old_threads)
    return times
