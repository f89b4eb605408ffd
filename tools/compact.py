"""Run compact CNN transfer learning end to end for one joint config.

    python tools/compact.py JOINT_CONFIG [--work-dir DIR] [--baseline [CONFIG]]
                            [--amp] [--cfg-options KEY=VALUE ...]

The stages, each the command of the step-by-step recipe:

1. teacher: ``tools/train.py`` on the stage-1 config that the joint config
   names (``model.teacher.cfg_path``), in the work dir where stage 2 looks
   for the teacher (``model.teacher_ckpt``: by default
   ``work_dirs/<teacher config name>``, see ``resolve_teacher``); skipped
   when ``model.teacher_ckpt`` is a checkpoint file or URL;
2. cache, for configs that replay cached teacher predictions
   (``model.teacher_cache``): ``tools/cache_teacher.py``, writing
   ``teacher_cache_<V>v.npz`` -- the file name the config gives, ``V`` the
   number of views -- to the teacher's work dir;
3. joint: ``tools/train.py`` on the joint config;
4. baseline (``--baseline``): the student alone, with the ``compact_*``
   config the joint config inherits (its student, data and schedule) or
   the config given;
5. report: ``tools/analysis_tools/compact_report.py`` on teacher and
   students, when that tool is there (``--no-report`` skips it), into
   ``<joint work dir>/report``.

A training stage whose work dir holds the final checkpoint of its schedule
is skipped, and one that holds an earlier checkpoint resumes from it
(mmengine's ``resume``): run the command again after an interruption. A
cache is reused when it holds predictions of the current teacher weights
for the configured views, rebuilt otherwise. mmengine's logger prints each
stage's progress and ETA; the end prints a summary: accuracies, sizes,
times, where the files are, and the linear probe of the teacher's frozen
features when its stage-1 run wrote one (``LinearProbeHook``).

``--work-dir DIR`` puts every stage in ``DIR/<its config name>``; without
it each stage uses the default work dir of its config, the one the
step-by-step commands use, so they and this tool share their outputs.
``--cfg-options`` change the joint config, and every other stage's config
that has the same key (data, batch sizes, schedules), so joint-only keys
(``model.teacher*``, ``model.hard_loss_weight``, ...) stay with stage 2.
Stage 2 builds its teacher from the teacher config file, so settings of
the teacher model must be in that file (or come from environment
variables it reads, such as ``NUM_CLASSES``).

Training stages run in this process, through ``tools/train.py``'s
functions. The cache runs as a subprocess: ``tools/cache_teacher.py`` is a
command-line tool (its options, e.g. ``--amp``, apply as typed), and its
process frees the teacher before stage 2 starts.
"""
import argparse
import ast
import gc
import glob
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import List, Optional, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import find_latest_checkpoint
from mmpretrain.registry import MODELS

import mmcompact
from mmcompact.apis import load_probe_record
from mmcompact.models import (JointLearningClassifier, resolve_teacher,
                              teacher_fingerprint)
from mmcompact.utils import (check_cfg_options, load_teacher_cache_meta,
                             model_config)

TOOLS = osp.dirname(osp.abspath(__file__))
REPORT_TOOL = osp.join(TOOLS, 'analysis_tools', 'compact_report.py')
CACHE_NAME = re.compile(r'teacher_cache_(\d+)v\.npz')
METRIC = 'accuracy/top1'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.strip().splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 2)[2])
    parser.add_argument('config', help='joint-learning (stage-2) config')
    parser.add_argument('--work-dir',
                        help='put every stage in <work-dir>/<config name>')
    parser.add_argument(
        '--baseline', nargs='?', const='auto', default=None,
        metavar='CONFIG', help='also train the student alone: with the '
        'compact_* config the joint config inherits, or CONFIG')
    parser.add_argument('--no-report', action='store_true',
                        help='skip the compactness report')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision in every stage (bf16 on a '
                        'CPU), as tools/train.py --amp')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
        help='override config settings (see above for the stages they '
        'reach), as tools/train.py --cfg-options')
    args = parser.parse_args(argv)
    # Parsed as tools/train.py parses them; the raw strings go on to
    # tools/cache_teacher.py unchanged.
    namespace = argparse.Namespace()
    DictAction(option_strings=['--cfg-options'], dest='options')(
        parser, namespace, args.cfg_options)
    args.options = namespace.options or {}
    return args


def load_tool(name: str):
    """Import the sibling script ``tools/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(
        f'mmcompact_tools_{name}', osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def config_name(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


def student_config(joint_config: str) -> str:
    """The ``compact_*`` config a joint config inherits, nearest first.

    The configs' convention (checked by ``tests/test_configs``): a joint
    config inherits its student's ``compact_*`` config -- student, data
    and schedule -- directly or through another joint config.

    Args:
        joint_config (str): Path of the joint config.

    Returns:
        str: Path of the compact config.

    Raises:
        ValueError: if no ``compact_*`` config is among its bases.
    """
    pending, seen = [osp.abspath(joint_config)], set()
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        if osp.basename(path).startswith('compact_'):
            return path
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                    getattr(t, 'id', None) == '_base_'
                    for t in node.targets):
                bases = ast.literal_eval(node.value)
                for base in [bases] if isinstance(bases, str) else bases:
                    if '::' not in base:  # not another package's config
                        pending.append(osp.normpath(
                            osp.join(osp.dirname(path), base)))
    raise ValueError(
        f'{joint_config} inherits no configs/compact_*.py (the student-alone '
        'config); pass the baseline config: --baseline <config>')


def has_key(cfg, key: str) -> bool:
    """Whether the dotted ``key`` (list indices as numbers) is in ``cfg``."""
    node = cfg.to_dict() if isinstance(cfg, Config) else cfg
    for part in key.split('.'):
        if isinstance(node, (list, tuple)) and part.isdigit() and \
                int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True


def load_stage_config(path: str, options: dict, all_keys: bool) -> Config:
    """``path`` with ``options``: all of them, or those whose key it has.

    Keys that would change nothing are refused, as by ``tools/train.py``
    (:func:`mmcompact.utils.check_cfg_options`).
    """
    cfg = Config.fromfile(path)
    options = {
        k: v
        for k, v in options.items() if all_keys or has_key(cfg, k)
    }
    check_cfg_options(cfg, options)
    cfg.merge_from_dict(options)
    return cfg


def schedule_length(cfg: Config) -> Tuple[str, int]:
    """``('epoch', max_epochs)`` or ``('iter', max_iters)`` of a config."""
    train_cfg = cfg.get('train_cfg') or {}
    if 'max_epochs' in train_cfg:
        return 'epoch', int(train_cfg['max_epochs'])
    if 'max_iters' in train_cfg:
        return 'iter', int(train_cfg['max_iters'])
    raise ValueError(f'{cfg.filename}: train_cfg has neither max_epochs nor '
                     'max_iters')


def read_checkpoint(path: str) -> dict:
    """A runner checkpoint, memory-mapped (only what is read is loaded)."""
    return torch.load(path, map_location='cpu', weights_only=True,
                      mmap=True)


def stage_progress(work_dir: str, cfg: Config) -> Tuple[Optional[str], int]:
    """The newest checkpoint of ``work_dir`` and how far it trained.

    Args:
        work_dir (str): A stage's work dir.
        cfg (Config): The stage's config (for the unit of its schedule).

    Returns:
        tuple: Checkpoint path (None when there is none) and its epoch or
        iteration.
    """
    if not osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        return None, 0
    ckpt = find_latest_checkpoint(work_dir)
    if not ckpt or not osp.isfile(ckpt):
        raise FileNotFoundError(
            f'{work_dir}/last_checkpoint names "{ckpt}", which does not '
            'exist. Delete last_checkpoint to train this stage from the '
            'start.')
    unit, _ = schedule_length(cfg)
    return ckpt, int(read_checkpoint(ckpt)['meta'][unit])


def val_metrics(work_dir: str, key: str = METRIC) -> Tuple[list, list]:
    """Validation values of ``key`` logged in ``work_dir``.

    Reads every run's ``<time>/vis_data/scalars.json`` (mmengine's
    ``LocalVisBackend``), oldest run first, so a resumed stage's epochs
    follow the interrupted run's.

    Returns:
        tuple[list, list]: ``(step, value)`` pairs of ``key``, and of
        ``teacher/<key>`` (``TeacherEvalHook``).
    """
    values, teacher = [], []
    for path in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path, encoding='utf-8') as f:
            for line in f:
                record = json.loads(line)
                if key in record:
                    values.append((record.get('step'), record[key]))
                if f'teacher/{key}' in record:
                    teacher.append((record.get('step'),
                                    record[f'teacher/{key}']))
    return values, teacher


def count_parameters(model_cfg: dict) -> int:
    """Parameters of a model config (built, weights not loaded)."""
    return sum(p.numel() for p in MODELS.build(model_cfg).parameters())


def student_model(cfg: Config) -> dict:
    """The student of a joint or compact config as an ImageClassifier."""
    model = model_config(cfg)
    return dict(type='ImageClassifier',
                **{k: model[k] for k in ('backbone', 'neck', 'head')
                   if model.get(k)})


class Stage:
    """One stage: what it runs, where, what happened, what came out."""

    def __init__(self, name: str, config: Optional[str] = None,
                 work_dir: Optional[str] = None):
        self.name, self.config, self.work_dir = name, config, work_dir
        self.cfg: Optional[Config] = None
        self.action = 'not run'
        self.seconds: Optional[float] = None
        self.output: Optional[str] = None
        self.views = 0  # the cache stage's views per image

    def header(self, index: int, total: int, what: str):
        print(f'\n==> [{index}/{total}] {self.name}: {what}', flush=True)


class CompactRun:
    """The stages of one ``tools/compact.py`` invocation (see module doc)."""

    def __init__(self, args):
        self.args = args
        self._train_tool = None
        self.failed = False
        self.report = f'{osp.relpath(REPORT_TOOL)} not found, skipped'
        init_default_scope('mmpretrain')
        self.joint = Stage('joint')
        self.joint.config = osp.abspath(args.config)
        self.joint.cfg = load_stage_config(args.config, args.options, True)
        teacher = self.joint.cfg.model.get('teacher')
        if not isinstance(teacher, dict) or 'cfg_path' not in teacher:
            raise ValueError(
                f'{args.config}: model.teacher must be dict(cfg_path=<stage-1 '
                'config>), so that this tool can train the teacher.')
        self.teacher = Stage('teacher', osp.normpath(teacher['cfg_path']))
        self.teacher.cfg = load_stage_config(self.teacher.config,
                                             args.options, False)
        self.joint.work_dir = self.work_dir(self.joint)
        self.report_dir = osp.join(self.joint.work_dir, 'report')
        self.teacher_ckpt = self.resolve_teacher_ckpt()
        self.cache = self.plan_cache()
        self.baseline = None
        if args.baseline:
            path = student_config(args.config) if args.baseline == 'auto' \
                else args.baseline
            if not osp.isfile(path):
                raise FileNotFoundError(f'Baseline config "{path}" not found')
            self.baseline = Stage('baseline', osp.abspath(path))
            self.baseline.cfg = load_stage_config(path, args.options, False)
            self.baseline.work_dir = self.work_dir(self.baseline)
        for stage in self.training_stages():
            schedule_length(stage.cfg)
            stage_progress(stage.work_dir, stage.cfg)

    def work_dir(self, stage: Stage) -> str:
        """``--work-dir``/<name>, the config's work_dir or the default."""
        if self.args.work_dir:
            return osp.join(self.args.work_dir, config_name(stage.config))
        return stage.cfg.get('work_dir') or osp.join(
            'work_dirs', config_name(stage.config))

    def resolve_teacher_ckpt(self) -> str:
        """Where stage 2 takes the teacher from; sets the teacher stage."""
        model = self.joint.cfg.model
        given = model.get('teacher_ckpt')
        if given is None and self.args.work_dir:
            given = self.work_dir(self.teacher)
        # The classifier's own resolution (default: the teacher config's
        # default work dir).
        _, ckpt, _ = resolve_teacher(model.teacher, given)
        if '://' in ckpt or osp.isfile(ckpt):
            self.teacher.action = 'given'
            self.teacher.output = ckpt
        elif osp.splitext(ckpt)[1] in ('.pth', '.pt'):
            raise FileNotFoundError(
                f'model.teacher_ckpt "{ckpt}" does not exist')
        else:
            self.teacher.work_dir = ckpt
        model.teacher_ckpt = ckpt
        return ckpt

    def plan_cache(self) -> Optional[Stage]:
        """The cache stage of a cached joint config, its path derived once."""
        model = self.joint.cfg.model
        if not model.get('teacher_cache'):
            return None
        name = osp.basename(model.teacher_cache)
        match = CACHE_NAME.fullmatch(name)
        if not match:
            raise ValueError(
                f'{self.args.config}: model.teacher_cache "{name}" must be '
                'named teacher_cache_<views>v.npz (the number of views to '
                'store).')
        if self.teacher.work_dir:
            folder = self.teacher.work_dir
        elif '://' in self.teacher_ckpt:  # a URL: keep it with stage 2
            folder = self.joint.work_dir
        else:  # next to the given checkpoint, as cache_teacher.py does
            folder = osp.dirname(osp.abspath(self.teacher_ckpt))
        stage = Stage('cache', self.joint.config, folder)
        stage.views = int(match.group(1))
        stage.output = osp.join(folder, name)
        model.teacher_cache = stage.output
        return stage

    def train_tool(self):
        if self._train_tool is None:
            self._train_tool = load_tool('train')
        return self._train_tool

    def training_stages(self) -> List[Stage]:
        stages = [self.joint] + ([self.baseline] if self.baseline else [])
        return ([self.teacher] if self.teacher.work_dir else []) + stages

    def run(self):
        start = time.perf_counter()
        stages = [self.teacher] + ([self.cache] if self.cache else []) + [
            self.joint] + ([self.baseline] if self.baseline else [])
        report = osp.isfile(REPORT_TOOL) and not self.args.no_report
        if self.args.no_report:
            self.report = 'skipped (--no-report)'
        total = len(stages) + report
        for index, stage in enumerate(stages, 1):
            if stage is self.cache:
                self.run_cache(index, total)
            elif stage.work_dir is None:  # a given teacher checkpoint
                stage.header(index, total, f'checkpoint given: {stage.output}'
                             ', not trained')
            else:
                self.run_training(stage, index, total)
        if report:
            self.run_report(total, total)
        self.summary(time.perf_counter() - start)

    def run_training(self, stage: Stage, index: int, total: int):
        unit, length = schedule_length(stage.cfg)
        ckpt, done = stage_progress(stage.work_dir, stage.cfg)
        where = f'{stage.config} -> {stage.work_dir}'
        if ckpt is not None and done >= length:
            stage.header(index, total, f'done ({unit} {done}/{length}), '
                         f'skipped: {where}')
            stage.action, stage.output = 'done before', ckpt
            return
        resume = ckpt is not None
        stage.action = f'resumed at {unit} {done}' if resume else 'trained'
        plural = 's' * (length != 1)
        stage.header(index, total, (f'resuming at {unit} {done}/{length}'
                                    if resume else
                                    f'training {length} {unit}{plural}') +
                     f': {where}')
        train_tool = self.train_tool()
        argv = [stage.config, '--work-dir', stage.work_dir]
        argv += ['--resume'] * resume + ['--amp'] * self.args.amp
        cfg = train_tool.merge_args(stage.cfg, train_tool.parse_args(argv))
        start = time.perf_counter()
        runner = train_tool.train(cfg)
        stage.seconds = time.perf_counter() - start
        del runner
        gc.collect()
        stage.output, done = stage_progress(stage.work_dir, stage.cfg)
        if done < length:
            raise RuntimeError(f'{stage.name} stage ended at {unit} {done} '
                               f'of {length}: {stage.work_dir}')

    def cache_is_current(self, path: str) -> Optional[str]:
        """None when the cache at ``path`` fits, else why it does not."""
        if not osp.isfile(path):
            return 'not built yet'
        try:
            meta = load_teacher_cache_meta(path)
        except ValueError as e:  # another cache format version
            return str(e)
        teacher = JointLearningClassifier.build_teacher(
            self.joint.cfg.model.teacher, self.teacher_ckpt)
        current = teacher_fingerprint(teacher)
        del teacher
        pre = MODELS.build(
            dict(dict(type='ClsDataPreprocessor'),
                 **(model_config(self.joint.cfg).get('data_preprocessor')
                    or {})))
        if meta.get('teacher') != current:
            return 'built from other teacher weights'
        if meta.get('num_views') != self.cache.views:
            return f'holds {meta.get("num_views")} views, not ' \
                f'{self.cache.views}'
        if meta.get('view') != getattr(pre, 'view', None):
            return 'drawn with other view settings'
        return None

    def run_cache(self, index: int, total: int):
        stage = self.cache
        stale = self.cache_is_current(stage.output)
        if stale is None:
            stage.header(index, total, f'up to date, skipped: {stage.output}')
            stage.action = 'done before'
            return
        stage.header(index, total, f'{stage.views} views per image ('
                     f'{stale}): {stage.output}')
        cmd = [sys.executable, osp.join(TOOLS, 'cache_teacher.py'),
               stage.config, '--views', str(stage.views), '--out',
               stage.output] + ['--amp'] * self.args.amp
        cmd += ['--cfg-options', *self.args.cfg_options,
                f'model.teacher_ckpt={self.teacher_ckpt}']
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=self.child_env())
        stage.seconds = time.perf_counter() - start
        stage.action = 'built'

    @staticmethod
    def child_env() -> dict:
        """The environment, with this process's mmcompact found first."""
        root = osp.dirname(osp.dirname(osp.abspath(mmcompact.__file__)))
        path = os.environ.get('PYTHONPATH')
        return dict(os.environ, PYTHONPATH=os.pathsep.join(
            [root] + ([path] if path else [])))

    def report_args(self) -> Optional[List[str]]:
        """Arguments of the report tool, or None without a student config."""
        try:
            student = student_config(self.joint.config)
        except ValueError:
            return None
        teacher_ckpt = self.teacher.output or self.teacher_ckpt
        argv = ['--teacher', self.teacher.config, teacher_ckpt,
                '--student', student, self.joint.output,
                '--out', self.report_dir]
        if self.baseline is not None:
            argv += ['--baseline', self.baseline.config,
                     self.baseline.output]
        # The validation accuracy of the final epoch is the test accuracy
        # where the config tests on the validation data: no second pass.
        known = [f'{s.name if s is not self.joint else "student"}='
                 f'{values[-1][1]}'
                 for s in self.training_stages()
                 for values in [val_metrics(s.work_dir)[0]]
                 if values and s.cfg.get('val_dataloader') ==
                 s.cfg.get('test_dataloader')]
        if self.teacher.work_dir is None:
            known = [k for k in known if not k.startswith('teacher=')]
        if known:
            argv += ['--top1', *known]
        # Options every config of the report has (data roots, batches).
        configs = [Config.fromfile(p) for p in argv[1:2] + [student]]
        shared = [o for o in self.args.cfg_options if all(
            has_key(c, o.split('=', 1)[0]) for c in configs)]
        if shared:
            argv += ['--cfg-options', *shared]
        return argv

    def run_report(self, index: int, total: int):
        """Write the compactness report next to stage 2's outputs."""
        argv = self.report_args()
        header = f'{osp.relpath(REPORT_TOOL)} -> {self.report_dir}'
        if argv is None:
            print(f'\n==> [{index}/{total}] report: no compact_* student '
                  'config found, skipped', flush=True)
            self.report = 'skipped (no student config)'
            return
        done = osp.join(self.report_dir, 'report.json')
        inputs = [self.teacher.output or self.teacher_ckpt,
                  self.joint.output] + (
                      [self.baseline.output] if self.baseline else [])
        if osp.isfile(done) and all(
                '://' in p or osp.getmtime(done) > osp.getmtime(p)
                for p in inputs):
            print(f'\n==> [{index}/{total}] report: up to date, skipped: '
                  f'{header}', flush=True)
            self.report = f'done before: {self.report_dir}'
            return
        print(f'\n==> [{index}/{total}] report: {header}', flush=True)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, REPORT_TOOL, *argv],
                              env=self.child_env())
        if proc.returncode:
            self.report = f'FAILED (exit status {proc.returncode}), see ' \
                'its output above'
            self.failed = True
        else:
            self.report = f'{self.report_dir} (report.md, report.json, ' \
                f'report.png; {time.perf_counter() - start:.0f} s)'

    def summary(self, seconds: float):
        rows = []
        for stage in [self.teacher, self.cache, self.joint, self.baseline]:
            if stage is None:
                continue
            last = best = ''
            params = weights = ''
            if stage.name != 'cache' and stage.work_dir:
                values, _ = val_metrics(stage.work_dir)
                if values:
                    last = f'{values[-1][1]:.2f}'
                    best = f'{max(v for _, v in values):.2f}'
            if stage.name != 'cache':
                model = model_config(stage.cfg) if stage.name == 'teacher' \
                    else student_model(stage.cfg)
                params = f'{count_parameters(model) / 1e6:.3f} M'
            if stage.name != 'cache' and stage.output and \
                    osp.isfile(stage.output):
                state = read_checkpoint(stage.output)
                state = state.get('state_dict', state)
                size = sum(v.numel() * v.element_size()
                           for v in state.values())
                weights = f'{size / 1e6:.2f} MB'
            time_s = '-' if stage.seconds is None else \
                f'{stage.seconds:.0f} s'
            rows.append((stage.name, stage.action, time_s, last, best,
                         params, weights, stage.output or ''))
        head = ('stage', 'this run', 'time', 'top-1 last', 'top-1 best',
                'params', 'weights', 'output')
        widths = [max(len(r[i]) for r in rows + [head])
                  for i in range(len(head))]
        print(f'\n==> Summary: {self.args.config}')
        for row in [head] + rows:
            print('  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        probe = self.teacher and load_probe_record(self.teacher.work_dir)
        if probe:
            print(f'linear probe of the teacher\'s frozen ImageNet features '
                  f'(the reference fine-tuning must beat): {METRIC} '
                  f'{probe["accuracy"]:.2f}')
        _, teacher = val_metrics(self.joint.work_dir)
        if teacher:
            print(f'teacher on stage 2\'s validation input (TeacherEvalHook): '
                  f'{METRIC} {teacher[-1][1]:.2f}')
        print('top-1: validation accuracy (%) of the stage\'s last and best '
              'epoch; weights: the fp32 state dict (the joint checkpoint '
              'holds the student only).')
        print('Work dirs (logs, configs, checkpoints): '
              + ', '.join(s.work_dir for s in self.training_stages()))
        print(f'Compactness report: {self.report}')
        print(f'Total: {seconds:.0f} s')


def main(argv=None):
    run = CompactRun(parse_args(argv))
    run.run()
    if run.failed:
        sys.exit(1)


if __name__ == '__main__':
    main()
