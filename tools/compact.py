"""Run compact CNN transfer learning end to end for one joint config.

    python tools/compact.py JOINT_CONFIG [--work-dir DIR] [--baseline [CONFIG]]
                            [--amp] [-v] [--cfg-options KEY=VALUE ...]

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
for the configured views of the same training images (an unlabelled
folder included), rebuilt otherwise.

The console shows a header per stage, a progress bar and the validation
top-1 with the ETA (``ConsoleRunner``), and a summary at the end:
accuracies, sizes, times, where the files are, and the linear probe of the
teacher's frozen features when its stage-1 run wrote one
(``LinearProbeHook``). The full logs stay in the work dirs: a training
stage's in ``<work dir>/<time>/<time>.log``, the cache's and the report's
next to their outputs (``.log``). ``-v`` prints everything as it comes.

``--work-dir DIR`` puts every stage in ``DIR/<its config name>``; without
it each stage uses the default work dir of its config, the one the
step-by-step commands use, so they and this tool share their outputs.
``--cfg-options`` change the joint config, and every other stage's config
that has the same key (data, batch sizes, schedules), so joint-only keys
(``model.teacher*``, ``model.hard_loss_weight``, ...) stay with stage 2.
Stage 2 builds its teacher from the teacher config file, so settings of
the teacher model must be in that file (or come from environment
variables it reads, such as ``NUM_CLASSES``).

Training stages run in this process, through ``mmcompact.apis``'s
``tools/train.py`` steps. The cache runs as a subprocess:
``tools/cache_teacher.py`` is a command-line tool (its options, e.g.
``--amp``, apply as typed), and its process frees the teacher before
stage 2 starts.
"""
import mmcompact  # noqa: I001  (first: its warning filters, see there)

import argparse
import gc
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from mmcompact.apis import (CompactPlan, Stage, merge_train_args,
                            parse_train_args, schedule_length,
                            stage_progress, student_config, summary_lines,
                            train, val_metrics)
from mmcompact.engine import quiet_console
from mmcompact.utils import has_key

TOOLS = osp.dirname(osp.abspath(__file__))
REPORT_TOOL = osp.join(TOOLS, 'analysis_tools', 'compact_report.py')


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
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='print every log record and tool output '
                        '(default: progress, top-1 and the summary)')
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


def header(index: int, total: int, stage: str, what: str):
    print(f'\n==> [{index}/{total}] {stage}: {what}', flush=True)


class CompactRun:
    """Runs the stages of a :class:`CompactPlan` (see module doc)."""

    def __init__(self, args):
        self.args = args
        self.failed = False
        self.report = f'{osp.relpath(REPORT_TOOL)} not found, skipped'
        init_default_scope('mmpretrain')
        if not args.verbose:  # e.g. mmengine's notes on reading configs
            quiet_console(MMLogger.get_current_instance())
        self.plan = CompactPlan(args.config, args.options, args.work_dir,
                                args.baseline)

    def run(self):
        start = time.perf_counter()
        plan = self.plan
        stages = plan.stages()
        report = osp.isfile(REPORT_TOOL) and not self.args.no_report
        if self.args.no_report:
            self.report = 'skipped (--no-report)'
        total = len(stages) + report
        for index, stage in enumerate(stages, 1):
            if stage is plan.cache:
                self.run_cache(index, total)
            elif stage.work_dir is None:  # a given teacher checkpoint
                header(index, total, stage.name,
                       f'checkpoint given: {stage.output}, not trained')
            else:
                self.run_training(stage, index, total)
        if report:
            self.run_report(total, total)
        print('\n' + '\n'.join(summary_lines(
            plan, self.report, time.perf_counter() - start)))

    def run_training(self, stage: Stage, index: int, total: int):
        unit, length = schedule_length(stage.cfg)
        ckpt, done = stage_progress(stage.work_dir, stage.cfg)
        where = f'{stage.config} -> {stage.work_dir}'
        if ckpt is not None and done >= length:
            header(index, total, stage.name,
                   f'done ({unit} {done}/{length}), skipped: {where}')
            stage.action, stage.output = 'done before', ckpt
            return
        resume = ckpt is not None
        stage.action = f'resumed at {unit} {done}' if resume else 'trained'
        plural = 's' * (length != 1)
        header(index, total, stage.name,
               (f'resuming at {unit} {done}/{length}' if resume else
                f'training {length} {unit}{plural}') + f': {where}')
        argv = [stage.config, '--work-dir', stage.work_dir]
        argv += ['--resume'] * resume + ['--amp'] * self.args.amp
        cfg = merge_train_args(stage.cfg, parse_train_args(argv))
        if not self.args.verbose:
            cfg.runner_type = 'ConsoleRunner'
        start = time.perf_counter()
        runner = train(cfg)
        stage.seconds = time.perf_counter() - start
        del runner
        gc.collect()
        stage.output, done = stage_progress(stage.work_dir, stage.cfg)
        if done < length:
            raise RuntimeError(f'{stage.name} stage ended at {unit} {done} '
                               f'of {length}: {stage.work_dir}')

    def run_cache(self, index: int, total: int):
        stage = self.plan.cache
        stale = self.plan.cache_stale()
        if stale is None:
            header(index, total, 'cache',
                   f'up to date, skipped: {stage.output}')
            stage.action = 'done before'
            return
        header(index, total, 'cache', f'{stage.views} views per image '
               f'({stale}): {stage.output}')
        cmd = [sys.executable, osp.join(TOOLS, 'cache_teacher.py'),
               stage.config, '--views', str(stage.views), '--out',
               stage.output] + ['--amp'] * self.args.amp
        cmd += ['--cfg-options', *self.args.cfg_options,
                f'model.teacher_ckpt={self.plan.teacher_ckpt}']
        start = time.perf_counter()
        self.subprocess(cmd, osp.splitext(stage.output)[0] + '.log',
                        check=True)
        stage.seconds = time.perf_counter() - start
        stage.action = 'built'

    def subprocess(self, cmd: List[str], log: str,
                   check: bool = False) -> int:
        """Run a sibling tool with this process's mmcompact found first.

        Without ``-v`` its output goes to ``log`` (its last line, the
        tool's result, is echoed; the whole log on failure).
        """
        root = osp.dirname(osp.dirname(osp.abspath(mmcompact.__file__)))
        path = os.environ.get('PYTHONPATH')
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [root] + ([path] if path else [])))
        if self.args.verbose:
            return subprocess.run(cmd, check=check, env=env).returncode
        print(f'  (output: {log})', flush=True)
        with open(log, 'w', encoding='utf-8') as f:
            code = subprocess.run(cmd, env=env, stdout=f,
                                  stderr=subprocess.STDOUT).returncode
        with open(log, encoding='utf-8', errors='replace') as f:
            lines = f.read().replace('\r', '\n').strip().splitlines()
        print('\n'.join(lines if code else lines[-1:]), flush=True)
        if code and check:
            raise subprocess.CalledProcessError(code, cmd)
        return code

    def report_args(self) -> Optional[List[str]]:
        """Arguments of the report tool, or None without a student config."""
        plan = self.plan
        try:
            student = student_config(plan.joint.config)
        except ValueError:
            return None
        argv = ['--teacher', plan.teacher.config,
                plan.teacher.output or plan.teacher_ckpt,
                '--student', student, plan.joint.output,
                '--out', plan.report_dir]
        if plan.baseline is not None:
            argv += ['--baseline', plan.baseline.config,
                     plan.baseline.output]
        # The validation accuracy of the final epoch is the test accuracy
        # where the config tests on the validation data: no second pass.
        known = [f'{s.name if s is not plan.joint else "student"}='
                 f'{values[-1][1]}'
                 for s in plan.training_stages()
                 for values in [val_metrics(s.work_dir)[0]]
                 if values and s.cfg.get('val_dataloader') ==
                 s.cfg.get('test_dataloader')]
        if plan.teacher.work_dir is None:
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
        plan = self.plan
        argv = self.report_args()
        where = f'{osp.relpath(REPORT_TOOL)} -> {plan.report_dir}'
        if argv is None:
            header(index, total, 'report',
                   'no compact_* student config found, skipped')
            self.report = 'skipped (no student config)'
            return
        done = osp.join(plan.report_dir, 'report.json')
        inputs = [plan.teacher.output or plan.teacher_ckpt,
                  plan.joint.output] + (
                      [plan.baseline.output] if plan.baseline else [])
        if osp.isfile(done) and all(
                '://' in p or osp.getmtime(done) > osp.getmtime(p)
                for p in inputs):
            header(index, total, 'report', f'up to date, skipped: {where}')
            self.report = f'done before: {plan.report_dir}'
            return
        header(index, total, 'report', where)
        os.makedirs(plan.report_dir, exist_ok=True)
        start = time.perf_counter()
        code = self.subprocess([sys.executable, REPORT_TOOL, *argv],
                               osp.join(plan.report_dir, 'report.log'))
        if code:
            self.report = f'FAILED (exit status {code}), see its output ' \
                'above'
            self.failed = True
        else:
            self.report = f'{plan.report_dir} (report.md, report.json, ' \
                f'report.png; {time.perf_counter() - start:.0f} s)'


def main(argv=None):
    run = CompactRun(parse_args(argv))
    run.run()
    if run.failed:
        sys.exit(1)


if __name__ == '__main__':
    main()
