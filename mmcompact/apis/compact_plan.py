"""What ``tools/compact.py`` will run: stages, configs, work dirs, files.

:class:`CompactPlan` reads a joint config once and derives every stage's
config, work dir and output, so that the step-by-step commands and the
one-command run share their files. Nothing is trained here.
"""
import ast
import os.path as osp
import re
from typing import List, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint
from mmpretrain.datasets import CustomDataset
from mmpretrain.registry import DATASETS

from mmcompact.teacher import (cache_mismatch, checkpoint_fingerprint,
                               dataset_fingerprint, dataset_rel_paths,
                               default_cache_dir, load_teacher_cache_meta,
                               resolve_teacher,
                               teacher_checkpoint_file)
from mmcompact.utils import (build_data_preprocessor, default_work_dir,
                             has_key, merge_checked_options, model_config)

#: A cache file of a ``*_cached`` config: ``V`` views per image.
CACHE_NAME = re.compile(r'teacher_cache_(\d+)v\.npz')


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


def load_stage_config(path: str, options: dict, all_keys: bool) -> Config:
    """``path`` with ``options``: all of them, or those whose key it has.

    Keys that would change nothing are refused, as by ``tools/train.py``
    (:func:`mmcompact.utils.check_cfg_options`).
    """
    cfg = Config.fromfile(path)
    return merge_checked_options(cfg, {
        k: v
        for k, v in options.items() if all_keys or has_key(cfg, k)
    })


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


class CompactPlan:
    """The stages of one joint config, their configs, work dirs and files.

    Args:
        config (str): The joint (stage-2) config.
        options (dict): Parsed ``--cfg-options``: all of them change the
            joint config, and every other stage's config that has the key.
        work_dir (str, optional): Put every stage in
            ``<work_dir>/<config name>``; default: each config's own.
        baseline (str, optional): ``'auto'`` (the ``compact_*`` config the
            joint config inherits) or a config: also train the student
            alone.

    Raises:
        ValueError: if the teacher is not ``dict(cfg_path=...)``, the cache
            file name gives no view count, or a schedule is unreadable.
        FileNotFoundError: if a given checkpoint or config is missing.
    """

    def __init__(self, config: str, options: dict,
                 work_dir: Optional[str] = None,
                 baseline: Optional[str] = None):
        self.config, self.options, self.root = config, options, work_dir
        self.joint = Stage('joint', osp.abspath(config))
        self.joint.cfg = load_stage_config(config, options, True)
        teacher = self.joint.cfg.model.get('teacher')
        if not isinstance(teacher, dict) or 'cfg_path' not in teacher:
            raise ValueError(
                f'{config}: model.teacher must be dict(cfg_path=<stage-1 '
                'config>), so that this tool can train the teacher.')
        self.teacher = Stage('teacher', osp.normpath(teacher['cfg_path']))
        self.teacher.cfg = load_stage_config(self.teacher.config, options,
                                             False)
        self.joint.work_dir = self.work_dir(self.joint)
        self.report_dir = osp.join(self.joint.work_dir, 'report')
        self.teacher_ckpt = self._resolve_teacher_ckpt()
        self.cache = self._plan_cache()
        self.baseline = None
        if baseline:
            path = student_config(config) if baseline == 'auto' \
                else baseline
            if not osp.isfile(path):
                raise FileNotFoundError(f'Baseline config "{path}" not found')
            self.baseline = Stage('baseline', osp.abspath(path))
            self.baseline.cfg = load_stage_config(path, options, False)
            self.baseline.work_dir = self.work_dir(self.baseline)
        for stage in self.training_stages():
            schedule_length(stage.cfg)
            stage_progress(stage.work_dir, stage.cfg)

    def work_dir(self, stage: Stage) -> str:
        """``--work-dir``/<name>, the config's work_dir or the default."""
        if self.root:
            return osp.join(self.root, config_name(stage.config))
        return stage.cfg.get('work_dir') or default_work_dir(stage.config)

    def _resolve_teacher_ckpt(self) -> str:
        """Where stage 2 takes the teacher from; sets the teacher stage."""
        model = self.joint.cfg.model
        given = model.get('teacher_ckpt')
        if given is None and self.root:
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

    def _plan_cache(self) -> Optional[Stage]:
        """The cache stage of a cached joint config, its path derived once."""
        model = self.joint.cfg.model
        if not model.get('teacher_cache'):
            return None
        name = osp.basename(model.teacher_cache)
        match = CACHE_NAME.fullmatch(name)
        if not match:
            raise ValueError(
                f'{self.config}: model.teacher_cache "{name}" must be '
                'named teacher_cache_<views>v.npz (the number of views to '
                'store).')
        # As tools/cache_teacher.py puts it (a URL's: with stage 2).
        folder = default_cache_dir(self.teacher_ckpt, self.joint.work_dir)
        stage = Stage('cache', self.joint.config, folder)
        stage.views = int(match.group(1))
        stage.output = osp.join(folder, name)
        model.teacher_cache = stage.output
        return stage

    def training_stages(self) -> List[Stage]:
        """The stages ``tools/train.py`` runs, in order."""
        stages = [self.joint] + ([self.baseline] if self.baseline else [])
        return ([self.teacher] if self.teacher.work_dir else []) + stages

    def stages(self) -> List[Stage]:
        """Every stage, in the order they run (the report aside)."""
        return [self.teacher] + ([self.cache] if self.cache else []) + [
            self.joint] + ([self.baseline] if self.baseline else [])

    def cache_stale(self) -> Optional[str]:
        """None when the planned cache fits, else why it must be rebuilt.

        The teacher's fingerprint is read from its checkpoint
        (:func:`checkpoint_fingerprint`), not from a built teacher, and the
        training set's from its file list (images not decoded): new
        images, e.g. in an unlabelled folder, rebuild the cache.
        """
        path = self.cache.output
        if not osp.isfile(path):
            return 'not built yet'
        try:
            meta = load_teacher_cache_meta(path)
        except ValueError as e:  # another cache format version
            return str(e)
        model, ckpt, config = resolve_teacher(self.joint.cfg.model.teacher,
                                              self.teacher_ckpt)
        fingerprint = checkpoint_fingerprint(
            model, teacher_checkpoint_file(ckpt, config))
        view = getattr(
            build_data_preprocessor(model_config(self.joint.cfg)), 'view',
            None)
        return cache_mismatch(meta, fingerprint, view, self.cache.views,
                              self._data_fingerprint())

    def _data_fingerprint(self) -> Optional[str]:
        """The joint training set's fingerprint, from its file list.

        None where the list is not the final data set (not a folder or
        list dataset, or one cut by ``indices``): training then compares
        the built data set (``TeacherCacheCheckHook``).
        """
        cfg = dict(self.joint.cfg.train_dataloader.dataset, lazy_init=True,
                   pipeline=[])
        dataset = DATASETS.build(cfg)
        if not isinstance(dataset, CustomDataset) or \
                cfg.get('indices') is not None:
            return None
        infos = dataset.load_data_list()
        return dataset_fingerprint(
            dataset_rel_paths(infos, dataset.data_root),
            [int(i['gt_label']) for i in infos])
