"""Loading, feeding and evaluating deployed classifiers.

Shared by ``tools/deployment/export_onnx.py``,
``tools/analysis_tools/compact_report.py`` and ``demo/image_demo.py``, so
that a PyTorch checkpoint and its ONNX export see the same pixels and are
scored by the same mmpretrain metric.
"""
import copy
import os.path as osp
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS
from mmpretrain.structures import DataSample
from torch import nn

from mmcompact.utils import load_checkpoint_strictly, stack_images


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a classifier config, refusing a joint (teacher + student) one.

    Args:
        path (str): Config file.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        Config: The config.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config "{path}" not found')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.model.get('type') == 'JointLearningClassifier':
        raise ValueError(
            f'{path} builds a JointLearningClassifier (teacher + student); '
            'its checkpoints hold the student only. Give the student config '
            '(configs/compact_*.py) instead.')
    return cfg


def load_classifier(cfg: Config, checkpoint: Optional[str]) -> nn.Module:
    """``mmpretrain.apis.init_model`` on CPU, in eval mode, loaded strictly.

    ``init_model`` alone loads what matches and warns: a checkpoint of
    another network would be exported or measured half random.

    Args:
        cfg (Config): A classifier config (:func:`load_config`).
        checkpoint (str, optional): Its checkpoint; None for random weights.

    Returns:
        nn.Module: The classifier, ``dataset_meta`` from the checkpoint.

    Raises:
        ValueError: if the checkpoint does not fit the config's model
            (:func:`load_checkpoint_strictly`).
    """
    from mmpretrain.apis import init_model
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint "{checkpoint}" not found')
    init_default_scope('mmpretrain')
    model = init_model(copy.deepcopy(cfg), None, device='cpu')
    if checkpoint is not None:
        loaded = load_checkpoint_strictly(
            model, checkpoint, hint='Pass a checkpoint trained with this '
            'config (a joint config or its compact_* student config).')
        meta = loaded.get('meta', {}).get('dataset_meta')
        if meta:
            model.dataset_meta = meta
    return model.eval()


def graph_inputs(inputs: Union[torch.Tensor, Sequence[torch.Tensor]],
                 data_preprocessor: nn.Module,
                 size: Sequence[int]) -> torch.Tensor:
    """A dataloader's images as a deployed graph takes them.

    The graph (:class:`~mmcompact.apis.NormalizedClassifier`) takes
    ``float32`` RGB in the 0-255 range at its input size. The images are
    flipped to RGB when the preprocessor would (``to_rgb``) and resized
    with the preprocessor's own :meth:`resize`, which it applies after
    normalising: both are linear with weights summing to one, so the order
    does not change the pixels beyond float rounding.

    Args:
        inputs (Tensor | Sequence[Tensor]): ``(N, 3, H, W)`` or ``N``
            ``(3, H, W)`` images of one size (any dtype).
        data_preprocessor (nn.Module): The model's preprocessor.
        size (Sequence[int]): The graph's ``(h, w)``.

    Returns:
        Tensor: ``(N, 3, h, w)`` float32, contiguous.
    """
    inputs = stack_images(inputs, 'the deployed graph')
    if inputs.dim() != 4 or inputs.size(1) != 3:
        raise ValueError(f'expected (N, 3, H, W) images, got shape '
                         f'{tuple(inputs.shape)}')
    x = inputs.float()
    if getattr(data_preprocessor, 'to_rgb', False):
        x = x.flip(1)
    size = tuple(size)
    if tuple(x.shape[-2:]) != size:
        if tuple(getattr(data_preprocessor, 'size', ())) != size:
            raise ValueError(
                f'images are {x.size(2)}x{x.size(3)} but the graph takes '
                f'{size[0]}x{size[1]}, and '
                f'{type(data_preprocessor).__name__} does not resize to it; '
                'make the test pipeline produce that size.')
        x = data_preprocessor.resize(x)
    return x.contiguous()


def eval_dataloader(cfg: Config,
                    split: str = 'test',
                    num_images: Optional[int] = None,
                    batch_size: Optional[int] = None):
    """A dataloader over the test set, or over training images for
    calibration, with the test pipeline and no shuffling.

    Args:
        cfg (Config): A classifier config.
        split (str): ``'test'`` or ``'train'`` (the training images seen as
            at test time: the test pipeline, no augmentation).
        num_images (int, optional): Evenly spaced images of the split
            (class folders are sorted, so the first images would all be of
            one class). Defaults to None (all).
        batch_size (int, optional): Defaults to the test dataloader's.

    Returns:
        DataLoader: Built by mmengine's ``Runner.build_dataloader``.
    """
    if split not in ('test', 'train'):
        raise ValueError(f'split must be "test" or "train", got {split!r}')
    for key in ('test_dataloader', f'{split}_dataloader'):
        if not cfg.get(key):
            raise ValueError(f'the config has no {key}')
    init_default_scope('mmpretrain')
    test_loader = cfg.test_dataloader
    loader = copy.deepcopy(cfg.get(f'{split}_dataloader'))
    if split == 'train':
        loader.dataset.pipeline = copy.deepcopy(test_loader.dataset.pipeline)
        loader.sampler = dict(type='DefaultSampler', shuffle=False)
        loader.batch_size = test_loader.batch_size
        loader.pop('collate_fn', None)
        if test_loader.get('collate_fn'):
            loader.collate_fn = copy.deepcopy(test_loader.collate_fn)
    if batch_size is not None:
        loader.batch_size = batch_size
    if num_images is not None:
        if num_images < 1:
            raise ValueError(f'num_images must be >= 1, got {num_images}')
        probe = DATASETS.build(dict(copy.deepcopy(loader.dataset),
                                    lazy_init=True))
        total = len(probe.load_data_list())
        if total == 0:
            raise ValueError(f'the {split} set of the config is empty')
        indices = np.unique(
            np.linspace(0, total - 1, min(num_images, total)).round())
        loader.dataset.indices = [int(i) for i in indices]
    return Runner.build_dataloader(loader)


def logits_to_samples(logits: torch.Tensor,
                      data_samples: List[DataSample]) -> List[DataSample]:
    """Data samples carrying ``pred_score``/``pred_label`` of the logits,
    as ``ClsHead.predict`` fills them (softmax scores)."""
    scores = torch.as_tensor(logits).float().softmax(dim=1)
    out = []
    for sample, score in zip(data_samples, scores):
        sample = sample.clone()
        sample.set_pred_score(score).set_pred_label(score.argmax(keepdim=True))
        out.append(sample)
    return out


def evaluate_top1(predict: Callable[[dict], List[DataSample]], dataloader,
                  cfg: Config) -> float:
    """Top-1 (%) of ``predict`` with the config's test evaluator.

    mmengine's ``TestLoop`` without a runner: every batch goes through
    ``predict`` (``model.test_step`` for a PyTorch model) and the
    evaluator's ``process``; the metric is mmpretrain's ``Accuracy``.

    Args:
        predict (Callable): Batch to data samples with ``pred_score``.
        dataloader (DataLoader): See :func:`eval_dataloader`.
        cfg (Config): Holds ``test_evaluator``.

    Returns:
        float: ``accuracy/top1``.
    """
    init_default_scope('mmpretrain')
    evaluator = Evaluator(copy.deepcopy(cfg.test_evaluator))
    evaluator.dataset_meta = getattr(dataloader.dataset, 'metainfo', None)
    with torch.inference_mode():
        for batch in dataloader:
            evaluator.process(data_samples=predict(batch), data_batch=batch)
    metrics = evaluator.evaluate(len(dataloader.dataset))
    if 'accuracy/top1' not in metrics:
        raise ValueError(f'test_evaluator gave {sorted(metrics)}, no '
                         "'accuracy/top1': use mmpretrain's Accuracy with "
                         'topk including 1')
    return float(metrics['accuracy/top1'])


def ort_session(path: str, threads: Optional[int] = None):
    """An ONNX Runtime CPU session.

    Spinning of idle pool threads is off: the tools time ONNX Runtime
    interleaved with PyTorch in one process, where spinning threads would
    take the cores from the next model.

    Args:
        path (str): ONNX file.
        threads (int, optional): Intra-op threads; None for ORT's default.

    Returns:
        onnxruntime.InferenceSession: The session.
    """
    import onnxruntime as ort
    if not osp.isfile(path):
        raise FileNotFoundError(f'ONNX file "{path}" not found')
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    return ort.InferenceSession(
        path, options, providers=['CPUExecutionProvider'])


def onnx_input_size(session) -> Tuple[int, int]:
    """The static ``(h, w)`` of an exported graph's single input."""
    inputs = session.get_inputs()
    shape = inputs[0].shape if len(inputs) == 1 else None
    if (shape is None or len(shape) != 4
            or not all(isinstance(s, int) for s in shape[2:])):
        raise ValueError(
            'expected one (N, 3, H, W) input with a static H and W, got '
            f'{[(i.name, i.shape) for i in inputs]}')
    return shape[2], shape[3]


def ort_predictor(session, data_preprocessor: nn.Module
                  ) -> Callable[[dict], List[DataSample]]:
    """``predict`` for :func:`evaluate_top1` that runs an ONNX graph."""
    name = session.get_inputs()[0].name
    size = onnx_input_size(session)

    def predict(batch: dict) -> List[DataSample]:
        x = graph_inputs(batch['inputs'], data_preprocessor, size)
        logits = session.run(None, {name: x.numpy()})[0]
        return logits_to_samples(torch.from_numpy(logits),
                                 batch['data_samples'])

    return predict
