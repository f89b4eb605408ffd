r"""CPU benchmark of mmcompact's training and inference paths.

Measures, in one process and *interleaved* (every round runs every variant
once, so a noisy machine slows all of them alike), and prints a markdown
table: throughputs are medians over rounds; each ratio is computed within
every round from the two variants it compares (run next to each other where
possible) and shown as the median with its range over rounds, so the table
says how noisy each ratio was:

* training throughput of the compact student through the toolbox
  (mmpretrain dataset + pipeline + collate + the config's data
  preprocessor + ``model.train_step`` with its optimiser wrapper) vs a bare
  PyTorch loop on the same model and the same images held as one uint8
  tensor (crop/flip on the batch), each in fp32 and in bf16 autocast, and
  the toolbox with one data worker process instead of the config's setting;
* the same toolbox step in ``channels_last`` (the configs'
  ``ChannelsLastHook``: NHWC weights and preprocessed batches), and with
  ``--compile`` also with its networks compiled (``CompileHook``);
* a stage-2 step with the online teacher (BatchNorm folded, the classifier's
  default), and with cached teacher predictions (the cached config:
  stored views and logits looked up by ``CachedTeacher``), vs a
  student-alone step;
* stage-1 teacher fine-tuning (the teacher's own config and data
  pipeline), NCHW vs ``channels_last``;
* the cache tool's inner step (crop the views, normalise, teacher forward
  in bf16) as it ran before, NCHW with BatchNorm, vs now: BatchNorm folded
  and ``channels_last`` (and ``torch.compile`` with ``--compile``);
* batch-1 CPU latency of the student and the teacher with 1 and 2 threads.

Usage::

    python benchmarks/cpu_bench.py --short   # ~2 min, quick check
    python benchmarks/cpu_bench.py           # full, for the README
    # another joint config, fewer iterations for its batch of 512:
    python benchmarks/cpu_bench.py --iters 20 \
        --config configs/joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10.py
"""
import argparse
import copy
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
import mmcompact  # noqa: E402,F401
from mmcompact.engine import ChannelsLastHook, CompileHook  # noqa: E402
from mmcompact.teacher import (TeacherViewRunner,  # noqa: E402
                               build_teacher, crop_views, dataset_rel_paths,
                               resolve_teacher, save_teacher_cache,
                               teacher_cache_meta, teacher_fingerprint)
from mmcompact.utils import model_config  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config',
                        default='configs/joint_effnet-lite0_resnet20_'
                        '1xb128_cifar10.py',
                        help='joint config (student, teacher, data)')
    parser.add_argument('--cached-config', default=None,
                        help='its cached-teacher config, whose train '
                        'pipeline the cached step runs (default: '
                        '<config>_cached.py)')
    parser.add_argument('--data-root', default='data/cifar10')
    parser.add_argument('--teacher-ckpt', default=None,
                        help='stage-1 checkpoint or work dir; weights do '
                        'not change timings, so random weights are used '
                        'when omitted')
    parser.add_argument('--short', action='store_true',
                        help='few iterations/rounds: a quick check')
    parser.add_argument('--iters', type=int, default=None,
                        help='iterations per variant and round (default 10 '
                        'short, 50 full); e.g. fewer for large batches')
    parser.add_argument('--rounds', type=int, default=None,
                        help='interleaved rounds (default 3 short, 5 full)')
    parser.add_argument('--images', type=int, default=None,
                        help='training images decoded and sampled from '
                        '(default 2048 short, 8192 full)')
    parser.add_argument('--compile', action='store_true',
                        help='add the torch.compile variants (student '
                        'training step and cache step); their compilation '
                        'happens in the warm-up calls and is reported '
                        'separately')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of --config (and of the '
                        'cached config), as in tools/train.py')
    return parser.parse_args()


# The order of the variants within a round: the two sides of every ratio
# run back to back (or next but one); variants not built are skipped.
ROUND_ORDER = [('toolbox', False), ('bare', False), ('bare', True),
               ('toolbox', True), ('toolbox_cl', True),
               ('toolbox_cl_compile', True), ('cached', True),
               ('online', True), ('toolbox_1worker', True),
               ('teacher_train', True), ('teacher_train_cl', True),
               ('cache_before', True), ('cache_now', True),
               ('cache_now_compile', True)]
# The variants built with --compile.
COMPILE_KEYS = [('toolbox_cl_compile', True), ('cache_now_compile', True)]
# Ratio rows: (name, numerator, denominator) of *seconds per step*.
RATIOS = [
    ('toolbox / bare, fp32', ('bare', False), ('toolbox', False)),
    ('toolbox / bare, bf16', ('bare', True), ('toolbox', True)),
    ('toolbox channels_last / bare NCHW, bf16', ('bare', True),
     ('toolbox_cl', True)),
    ('bf16 / fp32, toolbox', ('toolbox', False), ('toolbox', True)),
    ('stage 2, online teacher / student alone, step time (bf16)',
     ('online', True), ('toolbox', True)),
    ('stage 2, cached teacher / student alone, step time (bf16)',
     ('cached', True), ('toolbox', True)),
    ('teacher fine-tuning, channels_last / NCHW', ('teacher_train', True),
     ('teacher_train_cl', True)),
    ('cache views/s, now / before', ('cache_before', True),
     ('cache_now', True)),
]
COMPILE_RATIOS = [
    ('toolbox channels_last + compile / bare NCHW, bf16', ('bare', True),
     ('toolbox_cl_compile', True)),
    ('cache views/s, now + compile / before', ('cache_before', True),
     ('cache_now_compile', True)),
]
# Slow variants run fewer iterations per round than --iters.
ITERS_DIVISOR = {('teacher_train', True): 10, ('teacher_train_cl', True): 10,
                 ('cache_before', True): 4, ('cache_now', True): 4,
                 ('cache_now_compile', True): 4}


def timed(fn, iters):
    """Seconds per call of ``fn`` over ``iters`` calls (after 2 warm-ups)."""
    for _ in range(2):
        fn()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - start) / iters


class ToolboxStep:
    """One training iteration exactly as mmengine's train loop runs it."""

    def __init__(self, model, cfg, amp, num_workers=None):
        self.model = model
        optim_cfg = copy.deepcopy(cfg.optim_wrapper)
        optim_cfg.type = 'AutoAmpOptimWrapper' if amp else 'OptimWrapper'
        self.optim_wrapper = build_optim_wrapper(model, optim_cfg)
        loader_cfg = copy.deepcopy(cfg.train_dataloader)
        if num_workers is not None:
            loader_cfg.num_workers = num_workers
            loader_cfg.persistent_workers = num_workers > 0
        self.loader = Runner.build_dataloader(loader_cfg)
        self.iter = iter(self.loader)

    def __call__(self):
        try:
            data = next(self.iter)
        except StopIteration:
            self.iter = iter(self.loader)
            data = next(self.iter)
        self.model.train_step(data, self.optim_wrapper)


class BareStep:
    """Plain PyTorch: uint8 images in one tensor, views cut on the batch.

    The views are drawn and cut by the same code as the toolbox's
    preprocessor (``sample_views`` + :func:`crop_views`), so the ratio
    measures the toolbox around it, not two different crops.
    """

    def __init__(self, model, images, labels, batch_size, amp, view_pre):
        self.model, self.amp = model, amp
        self.images, self.labels = images, labels
        self.batch_size = batch_size
        self.pre = view_pre
        self.optim = torch.optim.SGD(
            model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4,
            nesterov=True)

    def __call__(self):
        idx = torch.randint(0, len(self.images), (self.batch_size, ))
        imgs = self.images[idx]
        views = self.pre.sample_views(len(idx), *imgs.shape[-2:])
        x = crop_views(imgs, views, self.pre.size).float()
        x = (x - self.pre.mean) / self.pre.std
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=self.amp):
            logits = self.model(x)
        loss = F.cross_entropy(logits.float(), self.labels[idx])
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        self.optim.step()


class CacheStep:
    """The cache tool's step (``TeacherViewRunner``) on random views."""

    def __init__(self, runner, images, batch_size, view_pre):
        self.runner = runner
        self.images, self.batch_size = images, batch_size
        self.view_pre = view_pre

    def __call__(self):
        idx = torch.randint(0, len(self.images), (self.batch_size, ))
        imgs = self.images[idx]
        self.runner(imgs,
                    self.view_pre.sample_views(len(idx), *imgs.shape[-2:]))


def latency_ms(model, shape, threads, iters):
    torch.set_num_threads(threads)
    x = torch.randn(*shape)
    with torch.no_grad():
        sec = timed(lambda: model(x), iters)
    torch.set_num_threads(2)
    return sec * 1e3


def channels_last(model):
    """``model`` as the configs' ``ChannelsLastHook`` leaves it."""
    ChannelsLastHook().before_run(SimpleNamespace(model=model))
    return model


def build_steps(cfg, cached_cfg, student_cfg, teacher_ckpt, tmp,
                compile_model=False):
    """All measured variants, built once and stepped in turn."""
    batch_size = cfg.train_dataloader.batch_size
    joint_cfg = model_config(cfg)
    teacher_model, _, teacher_config = resolve_teacher(cfg.model.teacher)
    if teacher_ckpt is None:
        teacher = MODELS.build(copy.deepcopy(teacher_model))
        torch.save({'state_dict': teacher.state_dict()},
                   osp.join(tmp, 't.pth'))
        joint_cfg.teacher_ckpt = osp.join(tmp, 't.pth')
    else:
        joint_cfg.teacher_ckpt = teacher_ckpt

    steps = {}
    for amp in (False, True):
        model = MODELS.build(copy.deepcopy(student_cfg)).train()
        steps[('toolbox', amp)] = ToolboxStep(model, cfg, amp)
    steps[('toolbox_cl', True)] = ToolboxStep(
        channels_last(MODELS.build(copy.deepcopy(student_cfg)).train()),
        cfg, True)
    if compile_model:
        model = channels_last(
            MODELS.build(copy.deepcopy(student_cfg)).train())
        # What the configs' CompileHook does (mmengine's compile=True, which
        # compiles the whole train_step, fails in dynamo: docs).
        CompileHook().before_train(SimpleNamespace(model=model))
        steps[('toolbox_cl_compile', True)] = ToolboxStep(model, cfg, True)
    # The config's worker setting against one worker process.
    steps[('toolbox_1worker', True)] = ToolboxStep(
        MODELS.build(copy.deepcopy(student_cfg)).train(), cfg, True,
        num_workers=1)
    dataset = steps[('toolbox', False)].loader.dataset
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    images = torch.stack(
        [torch.from_numpy(i['img']).permute(2, 0, 1) for i in infos])
    labels = torch.tensor([i['gt_label'] for i in infos])
    # Views drawn as the toolbox and the cache tool draw them: by the
    # cached student's preprocessor.
    view_pre = MODELS.build(model_config(cached_cfg).data_preprocessor)
    for amp in (False, True):
        model = MODELS.build(copy.deepcopy(student_cfg)).train()
        steps[('bare', amp)] = BareStep(model, images, labels, batch_size,
                                        amp, view_pre)
    joint = MODELS.build(copy.deepcopy(joint_cfg)).train()
    steps[('online', True)] = ToolboxStep(joint, cfg, True)

    # Stage 1: the teacher's own config, data pipeline and batch.
    if teacher_config is not None:
        t_cfg = Config.fromfile(teacher_config)
        t_cfg.train_dataloader.dataset.update(
            data_root=cfg.train_dataloader.dataset.data_root,
            indices=cfg.train_dataloader.dataset.indices)
        steps[('teacher_train', True)] = ToolboxStep(
            MODELS.build(model_config(t_cfg)).train(), t_cfg, True)
        steps[('teacher_train_cl', True)] = ToolboxStep(
            channels_last(MODELS.build(model_config(t_cfg)).train()), t_cfg,
            True)

    # The cache tool's step, as it was (NCHW, BatchNorm) and as it is.
    frozen = build_teacher(cfg.model.teacher, joint_cfg.teacher_ckpt)
    fingerprint = teacher_fingerprint(frozen)
    t_batch = 64  # tools/cache_teacher.py's default --batch-size
    steps[('cache_before', True)] = CacheStep(
        TeacherViewRunner(copy.deepcopy(frozen), fuse_bn=False,
                          channels_last=False, amp=True),
        images, t_batch, view_pre)
    steps[('cache_now', True)] = CacheStep(
        TeacherViewRunner(copy.deepcopy(frozen), amp=True), images, t_batch,
        view_pre)
    if compile_model:
        steps[('cache_now_compile', True)] = CacheStep(
            TeacherViewRunner(copy.deepcopy(frozen), compile=True, amp=True),
            images, t_batch, view_pre)

    # Cached teacher: the logits' values do not change the timing.
    cache_file = osp.join(tmp, 'teacher_cache.npz')
    rel_paths = dataset_rel_paths(infos, dataset.data_root)
    height, width = infos[0]['img'].shape[:2]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        views = view_pre.sample_views(len(infos) * 8, height, width)
    save_teacher_cache(
        cache_file,
        np.random.default_rng(0).normal(
            size=(len(infos), 8, frozen.head.num_classes)),
        views.view(len(infos), 8, -1).numpy(), rel_paths,
        teacher_cache_meta(
            teacher=fingerprint, teacher_ckpt=joint_cfg.teacher_ckpt,
            rel_paths=rel_paths, labels=[int(i['gt_label']) for i in infos],
            view=view_pre.view, num_views=8, seed=0,
            image_shape=(height, width),
            teacher_size=getattr(frozen.data_preprocessor, 'size',
                                 (height, width)), amp=True))
    cached_cfg.train_dataloader.dataset.update(
        data_root=cfg.train_dataloader.dataset.data_root,
        indices=cfg.train_dataloader.dataset.indices)
    cached_model = model_config(cached_cfg)
    cached_model.update(teacher_ckpt=joint_cfg.teacher_ckpt,
                        teacher_cache=cache_file)
    steps[('cached', True)] = ToolboxStep(
        MODELS.build(cached_model).train(), cached_cfg, True)
    return {key: steps[key] for key in ROUND_ORDER if key in steps}


def machine_info():
    """One line naming the CPU, its bf16 instructions and torch's kernels.

    Ratios such as bf16/fp32 depend on the CPU (AMX, AVX512_BF16 or
    neither), so the table says which one produced it.

    Returns:
        str: e.g. ``'AMD EPYC (family 25, model 17), 2 CPUs, bf16 ISA:
        avx512_bf16, torch 2.x (AVX512 kernels)'``.
    """
    name, family, model, flags = platform.processor() or 'CPU', '?', '?', []
    if osp.exists('/proc/cpuinfo'):  # Linux; elsewhere the generic name
        with open('/proc/cpuinfo') as f:
            first_cpu = f.read().split('\n\n')[0]
        info = {}
        for line in first_cpu.splitlines():
            key, _, value = line.partition(':')
            info[key.strip()] = value.strip()
        name = info.get('model name', name)
        family, model = info.get('cpu family', '?'), info.get('model', '?')
        flags = info.get('flags', '').split()
    bf16 = [f for f in flags if f in ('avx512_bf16', 'amx_bf16', 'amx_tile')]
    return (f'{name} (family {family}, model {model}), {os.cpu_count()} '
            f'CPUs, bf16 ISA: {", ".join(bf16) or "none"}, torch '
            f'{torch.__version__} ({torch.backends.cpu.get_cpu_capability()}'
            ' kernels)')


def ratio_rows(times):
    """The :data:`RATIOS` (and :data:`COMPILE_RATIOS`) rows of ``times``.

    Each ratio is paired within rounds; a ratio whose variants were not
    measured is left out.

    Args:
        times (dict): seconds per step of each variant, one per round.

    Returns:
        list[tuple[str, str]]: name and ``'median (min-max)'`` of the ratio
        taken in every round.
    """
    rows = []
    for name, num, den in RATIOS + COMPILE_RATIOS:
        if num not in times or den not in times:
            continue
        per_round = [n / d for n, d in zip(times[num], times[den])]
        rows.append((name, f'{statistics.median(per_round):.2f} '
                     f'({min(per_round):.2f}-{max(per_round):.2f})'))
    return rows


def report(steps, times, batch_size, lat_iters):
    """Markdown rows: throughputs, ratios and batch-1 latencies.

    Args:
        steps (dict): the variants, as built by :func:`build_steps`.
        times (dict): seconds per step of each variant, one per round.
        batch_size (int): images per student training step.
        lat_iters (int): timed calls per latency figure.

    Returns:
        tuple[list[tuple[str, str]], tuple[int, int]]: the table's rows and
        the teacher's input size.
    """
    names = [('toolbox fp32', ('toolbox', False)),
             ('bare PyTorch fp32', ('bare', False)),
             ('toolbox bf16', ('toolbox', True)),
             ('bare PyTorch bf16', ('bare', True)),
             ('toolbox bf16, channels_last', ('toolbox_cl', True)),
             ('toolbox bf16, channels_last + compile',
              ('toolbox_cl_compile', True)),
             ('toolbox bf16 with 1 data worker process',
              ('toolbox_1worker', True)),
             ('teacher fine-tuning bf16, NCHW', ('teacher_train', True)),
             ('teacher fine-tuning bf16, channels_last',
              ('teacher_train_cl', True)),
             ('cache tool before: NCHW, BatchNorm (views/s)',
              ('cache_before', True)),
             ('cache tool now: BatchNorm folded, channels_last (views/s)',
              ('cache_now', True)),
             ('cache tool now + compile (views/s)',
              ('cache_now_compile', True))]
    rows = []
    for name, key in names:
        if key not in times:
            continue
        step = steps[key]
        images = getattr(step, 'batch_size', None) or \
            step.loader.batch_size
        unit = '' if name.endswith('(views/s)') else ' (img/s)'
        rows.append((f'{name}{unit}',
                     f'{images / statistics.median(times[key]):.0f}'))
    rows += ratio_rows(times)
    teacher = steps[('online', True)].model.teacher.eval()
    student = steps[('toolbox', False)].model.eval()
    size = teacher.data_preprocessor.size
    s_size = getattr(student.data_preprocessor, 'size', (32, 32))
    for threads in (1, 2):
        s_ms = latency_ms(student, (1, 3, *s_size), threads, lat_iters)
        t_ms = latency_ms(teacher, (1, 3, *size), threads, lat_iters)
        rows += [
            (f'student latency, batch 1, {threads} thread(s) (ms)',
             f'{s_ms:.2f}'),
            (f'teacher latency, batch 1, {threads} thread(s) (ms)',
             f'{t_ms:.2f}'),
            (f'teacher / student latency, {threads} thread(s)',
             f'{t_ms / s_ms:.1f}'),
        ]
    return rows, size


def main():
    args = parse_args()
    iters, rounds, lat_iters, subset = ((10, 3, 30, 2048) if args.short else
                                        (50, 5, 200, 8192))
    iters, rounds = args.iters or iters, args.rounds or rounds
    subset = args.images or subset
    init_default_scope('mmpretrain')
    # The newest logger instance is the one mmengine's builders log to;
    # keep their INFO lines (one per parameter group) out of the table.
    MMLogger.get_instance('cpu_bench', log_level='WARNING')
    cfg = Config.fromfile(osp.join(REPO, args.config))
    cached_cfg = Config.fromfile(
        osp.join(REPO, args.cached_config or
                 args.config.replace('.py', '_cached.py')))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
        cached_cfg.merge_from_dict(args.cfg_options)
    cfg.train_dataloader.dataset.data_root = args.data_root
    cfg.train_dataloader.dataset.indices = subset  # decode only these
    student_cfg = dict(
        type='ImageClassifier',
        data_preprocessor=model_config(cfg).data_preprocessor,
        **{k: cfg.model[k] for k in ('backbone', 'neck', 'head')})
    batch_size = cfg.train_dataloader.batch_size

    with tempfile.TemporaryDirectory() as tmp:
        steps = build_steps(cfg, cached_cfg, student_cfg, args.teacher_ckpt,
                            tmp, compile_model=args.compile)
        # torch.compile compiles on the first calls: time them apart.
        compile_s = {}
        for key in COMPILE_KEYS:
            if key in steps:
                start = time.perf_counter()
                steps[key]()
                compile_s[key] = time.perf_counter() - start
        times = {key: [] for key in steps}
        for r in range(rounds):
            for key, step in steps.items():
                times[key].append(
                    timed(step, max(1, iters // ITERS_DIVISOR.get(key, 1))))
            print(f'round {r + 1}/{rounds} done', file=sys.stderr)
    rows, size = report(steps, times, batch_size, lat_iters)

    mode = 'short' if args.short else 'full'
    print(f'\n{mode} mode: batch {batch_size}, {iters} iterations x '
          f'{rounds} interleaved rounds, {subset} training images, '
          f'{cfg.train_dataloader.num_workers} data worker(s), teacher '
          f'input {size[0]}x{size[1]}, fp32 latency; img/s: median over '
          'rounds; ratios: median (min-max) of the per-round ratios\n'
          f'{machine_info()}\n')
    for key, sec in compile_s.items():
        rows.append((f'first call of {key[0]} (compilation), s',
                     f'{sec:.1f}'))
    print('| measurement | value |\n|---|---:|')
    for name, value in rows:
        print(f'| {name} | {value} |')


if __name__ == '__main__':
    main()
