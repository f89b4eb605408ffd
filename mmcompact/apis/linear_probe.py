"""A linear probe: logistic regression on a network's frozen features.

The reference every fine-tuning run is measured against (a fine-tuned
teacher below the probe of its own ImageNet features has lost what the
pretrained network knew), and the head a fine-tuning run starts from
(LP-FT, Kumar et al., ICLR 2022: a head fitted to the frozen features
first, so that the first steps do not distort the pretrained features
with the gradients of a random head). Used by
:class:`~mmcompact.engine.LinearProbeHook` and
``tools/analysis_tools/linear_probe.py``.
"""
import contextlib
import json
import os.path as osp
import time
from dataclasses import dataclass
from typing import Callable, ContextManager, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from torch import nn

#: L2 weights (on standardised features, per sample) the fit chooses from.
WEIGHT_DECAYS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
#: Cross-validation folds that choose the L2 weight.
FOLDS = 5
#: Least spread a feature channel is standardised by, relative to the
#: median channel's (see :func:`fit_linear_probe`).
STD_FLOOR = 0.05
#: The record :class:`~mmcompact.engine.LinearProbeHook` writes in the
#: work dir, read back by :func:`load_probe_record`.
PROBE_FILE = 'linear_probe.json'
#: At most this many samples take part in the cross-validation (the final
#: fit uses all), which bounds the cost of the choice on large sets.
CV_SAMPLES = 10_000


@dataclass
class LinearProbe:
    """A fitted probe, as a linear layer on the raw features.

    Attributes:
        weight (torch.Tensor): ``(num_classes, channels)``.
        bias (torch.Tensor): ``(num_classes, )``.
        weight_decay (float): The L2 weight the cross-validation chose.
        cv_accuracy (float): Its cross-validated top-1 (%) on the training
            features.
    """
    weight: torch.Tensor
    bias: torch.Tensor
    weight_decay: float
    cv_accuracy: float

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        """Class indices of ``(N, channels)`` features."""
        return (features @ self.weight.T + self.bias).argmax(1)

    def accuracy(self, features: torch.Tensor, labels: torch.Tensor) -> float:
        """Top-1 (%) on ``features`` with ``labels``."""
        return 100.0 * (self.predict(features) == labels).float().mean().item()


@torch.no_grad()
def extract_features(model: nn.Module,
                     dataset,
                     pipeline: Optional[Callable] = None,
                     batch_size: int = 64,
                     context: Callable[[], ContextManager] = (
                         contextlib.nullcontext)
                     ) -> Tuple[torch.Tensor, torch.Tensor]:
    """The classifier's pre-logit features of every sample, in eval mode.

    Args:
        model (nn.Module): An mmpretrain ``ImageClassifier`` (its data
            preprocessor, ``extract_feat`` and ``head.pre_logits`` are used).
        dataset: An mmengine dataset.
        pipeline (Callable, optional): Applied to ``dataset.get_data_info(i)``
            instead of the dataset's own pipeline, e.g. the validation
            pipeline over the training set (no random crops). Defaults to
            None (``dataset[i]``).
        batch_size (int): Samples per forward pass. Defaults to 64.
        context (Callable): Returns the context the forward passes run in,
            e.g. the optimiser wrapper's autocast. Defaults to none.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: float32 features ``(N, C)`` and
        int64 labels ``(N, )``.
    """
    was_training = model.training
    model.eval()
    feats, labels = [], []
    try:
        for start in range(0, len(dataset), batch_size):
            idx = range(start, min(start + batch_size, len(dataset)))
            samples = [
                pipeline(dataset.get_data_info(i)) if pipeline is not None
                else dataset[i] for i in idx
            ]
            data = model.data_preprocessor(pseudo_collate(samples), False)
            with context():
                out = model.head.pre_logits(model.extract_feat(data['inputs']))
            feats.append(out.float().flatten(1))
            labels += [int(s.gt_label) for s in data['data_samples']]
    finally:
        model.train(was_training)
    return torch.cat(feats), torch.tensor(labels)


def _fit(x: torch.Tensor, y: torch.Tensor, num_classes: int,
         weight_decay: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """Multinomial logistic regression by L-BFGS on standardised ``x``."""
    w = torch.zeros(num_classes, x.shape[1], dtype=x.dtype,
                    requires_grad=True)
    b = torch.zeros(num_classes, dtype=x.dtype, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=200,
                            tolerance_grad=1e-6, tolerance_change=1e-9,
                            history_size=20, line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(x @ w.T + b, y) + \
            0.5 * weight_decay * w.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def fit_linear_probe(features: torch.Tensor,
                     labels: torch.Tensor,
                     num_classes: int,
                     weight_decays: Sequence[float] = WEIGHT_DECAYS,
                     folds: int = FOLDS,
                     seed: int = 0) -> LinearProbe:
    """Fit a probe, its L2 weight chosen by k-fold cross-validation.

    The features are standardised for the fit (L-BFGS converges in a few
    dozen steps then, and one L2 grid serves any network; channels of
    almost no spread are scaled by ``STD_FLOOR`` x the median spread) and
    the result is folded back, so that the probe applies to the raw
    features as the classifier's linear head does. Deterministic for a
    given ``seed``.

    Args:
        features (torch.Tensor): ``(N, C)`` training features.
        labels (torch.Tensor): ``(N, )`` class indices.
        num_classes (int): Number of classes (rows of the weight).
        weight_decays (Sequence[float]): Candidate L2 weights; ties go to
            the larger one.
        folds (int): Cross-validation folds (fewer when a set has fewer
            samples than folds x 2).
        seed (int): Seed of the fold split.

    Returns:
        LinearProbe: The probe refitted on all samples.
    """
    if len(features) != len(labels) or len(features) < 2:
        raise ValueError(
            f'fit_linear_probe: needs >= 2 samples with one label each, got '
            f'{len(features)} features and {len(labels)} labels')
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f'fit_linear_probe: labels must lie in [0, {num_classes}), got '
            f'{int(labels.min())}..{int(labels.max())}')
    x = features.double()
    # Channels that barely vary (dead ReLUs on an unfamiliar domain: 316
    # of 1,280 on 48 px digits) are scaled as if they varied by a 20th of
    # the median channel: dividing by their own spread gives them folded
    # weights in the hundreds, and fine-tuning from such a head diverges
    # as soon as augmentation moves them.
    std = x.std(0)
    std = std.clamp_min(STD_FLOOR * std.median().clamp_min(1e-12))
    mean = x.mean(0)
    x = (x - mean) / std
    # Stratified folds: with unbalanced folds a strongly regularised probe
    # predicts the training folds' majority class and scores below chance.
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=gen)[:CV_SAMPLES]
    order = order[labels[order].argsort(stable=True)]
    k = max(2, min(folds, len(order) // 2))
    fold = torch.arange(len(order)) % k
    best = (-1.0, None)
    for wd in sorted(weight_decays):
        correct = 0
        for i in range(k):
            train, held = order[fold != i], order[fold == i]
            w, b = _fit(x[train], labels[train], num_classes, wd)
            correct += int(((x[held] @ w.T + b).argmax(1) ==
                            labels[held]).sum())
        acc = 100.0 * correct / len(order)
        if acc >= best[0]:
            best = (acc, wd)
    w, b = _fit(x, labels, num_classes, best[1])
    weight = w / std
    bias = b - weight @ mean
    return LinearProbe(weight.float(), bias.float(), best[1], best[0])


def linear_probe(model: nn.Module,
                 train_dataset,
                 val_dataset,
                 batch_size: int = 64,
                 context: Callable[[], ContextManager] = (
                     contextlib.nullcontext)) -> dict:
    """Fit a probe on the training set's features and score it on val.

    The training images go through the validation pipeline (whole images,
    no random crops), as the features of a deployed model would.

    Args:
        model (nn.Module): The classifier whose frozen features are probed.
        train_dataset: Its training set.
        val_dataset: Its validation set; its pipeline serves both.
        batch_size (int): Samples per forward pass.
        context (Callable): See :func:`extract_features`.

    Returns:
        dict: ``probe`` (:class:`LinearProbe`), ``accuracy`` (top-1 % on
        ``val_dataset``), ``cv_accuracy``, ``weight_decay``,
        ``num_train``, ``num_val`` and ``seconds``.
    """
    start = time.perf_counter()
    x, y = extract_features(model, train_dataset, val_dataset.pipeline,
                            batch_size, context)
    probe = fit_linear_probe(x, y, model.head.num_classes)
    vx, vy = extract_features(model, val_dataset, None, batch_size, context)
    return dict(
        probe=probe,
        accuracy=probe.accuracy(vx, vy),
        cv_accuracy=probe.cv_accuracy,
        weight_decay=probe.weight_decay,
        num_train=len(x),
        num_val=len(vx),
        seconds=time.perf_counter() - start)


def load_probe_record(work_dir: str) -> Optional[dict]:
    """The probe record of a fine-tuning run's work dir, or None.

    Args:
        work_dir (str): The work dir of a run with a ``LinearProbeHook``.

    Returns:
        dict, optional: ``accuracy``, ``num_train``, ``num_val`` ... as
        :func:`linear_probe` returns them (without the probe), and
        ``init_head``; None when the run wrote none.
    """
    path = osp.join(work_dir, PROBE_FILE)
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)
