"""The end of a ``tools/compact.py`` run: what each stage gave, in a table.

Accuracies are read from the stages' logs (:func:`val_metrics`), sizes from
their configs and checkpoints, the linear probe from the teacher's work
dir (``LinearProbeHook``).
"""
import glob
import json
import os.path as osp
from typing import List, Tuple

from mmpretrain.registry import MODELS

from mmcompact.utils import model_config
from .compact_plan import CompactPlan, Stage, read_checkpoint
from .linear_probe import load_probe_record

METRIC = 'accuracy/top1'


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


def _parameters(stage: Stage) -> str:
    """Parameters of the stage's network (the student of a joint config)."""
    model = model_config(stage.cfg)
    if stage.name != 'teacher':
        model = dict(type='ImageClassifier',
                     **{k: model[k] for k in ('backbone', 'neck', 'head')
                        if model.get(k)})
    count = sum(p.numel() for p in MODELS.build(model).parameters())
    return f'{count / 1e6:.3f} M'


def _row(stage: Stage) -> Tuple[str, ...]:
    last = best = params = weights = ''
    if stage.name != 'cache':
        if stage.work_dir:
            values, _ = val_metrics(stage.work_dir)
            if values:
                last = f'{values[-1][1]:.2f}'
                best = f'{max(v for _, v in values):.2f}'
        params = _parameters(stage)
        if stage.output and osp.isfile(stage.output):
            state = read_checkpoint(stage.output)
            state = state.get('state_dict', state)
            size = sum(v.numel() * v.element_size() for v in state.values())
            weights = f'{size / 1e6:.2f} MB'
    time_s = '-' if stage.seconds is None else f'{stage.seconds:.0f} s'
    return (stage.name, stage.action, time_s, last, best, params, weights,
            stage.output or '')


def summary_lines(plan: CompactPlan, report: str,
                  seconds: float) -> List[str]:
    """The summary ``tools/compact.py`` prints at the end of a run.

    Args:
        plan (CompactPlan): The run's stages, after they ran.
        report (str): What became of the compactness report.
        seconds (float): The run's wall time.

    Returns:
        list[str]: The lines, without newlines.
    """
    rows = [_row(stage) for stage in plan.stages()]
    head = ('stage', 'this run', 'time', 'top-1 last', 'top-1 best',
            'params', 'weights', 'output')
    widths = [max(len(r[i]) for r in rows + [head])
              for i in range(len(head))]
    lines = [f'==> Summary: {plan.config}']
    lines += ['  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
              for row in [head] + rows]
    probe = plan.teacher.work_dir and load_probe_record(
        plan.teacher.work_dir)
    if probe:
        lines.append('linear probe of the teacher\'s frozen ImageNet '
                     'features (the reference fine-tuning must beat): '
                     f'{METRIC} {probe["accuracy"]:.2f}')
    _, teacher = val_metrics(plan.joint.work_dir)
    if teacher:
        lines.append('teacher on stage 2\'s validation input '
                     f'(TeacherEvalHook): {METRIC} {teacher[-1][1]:.2f}')
    lines += [
        'top-1: validation accuracy (%) of the stage\'s last and best '
        'epoch; weights: the fp32 state dict (the joint checkpoint holds the '
        'student only).',
        'Work dirs (logs, configs, checkpoints): ' + ', '.join(
            s.work_dir for s in plan.training_stages()),
        f'Compactness report: {report}', f'Total: {seconds:.0f} s'
    ]
    return lines
