"""Training as ``tools/train.py`` runs it, for the tools that share it.

``tools/train.py`` is :func:`parse_train_args`, :func:`merge_train_args`
and :func:`train`; ``tools/compact.py`` runs its training stages through
the same functions, so a stage it runs is that command.
"""
import sys
from typing import Optional, Sequence

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmcompact.utils import (check_cfg_options, init_cpu_dist_if_needed,
                             load_mmpretrain_tool)


def parse_train_args(argv: Optional[Sequence[str]] = None):
    """mmpretrain's ``tools/train.py`` arguments.

    Args:
        argv (Sequence[str], optional): The arguments after the script name.
            Defaults to None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    tool = load_mmpretrain_tool('train.py')
    if argv is None:
        return tool.parse_args()
    # mmpretrain's parse_args reads sys.argv only; lend it ``argv``.
    saved = sys.argv
    sys.argv = ['train.py', *argv]
    try:
        return tool.parse_args()
    finally:
        sys.argv = saved


def merge_train_args(cfg: Config, args) -> Config:
    """mmpretrain's ``merge_args``, with ``--amp`` as ``AutoAmpOptimWrapper``.

    ``--cfg-options`` keys that would change nothing are refused first
    (:func:`mmcompact.utils.check_cfg_options`).

    Args:
        cfg (Config): The loaded config.
        args (argparse.Namespace): From :func:`parse_train_args`.

    Returns:
        Config: ``cfg`` with the arguments merged in.
    """
    check_cfg_options(cfg, args.cfg_options)
    cfg = load_mmpretrain_tool('train.py').merge_args(cfg, args)
    if args.amp:
        # AutoAmpOptimWrapper is AmpOptimWrapper on a GPU, bf16 on a CPU.
        cfg.optim_wrapper.type = 'AutoAmpOptimWrapper'
    return cfg


def train(cfg: Config) -> Runner:
    """Build the runner of ``cfg`` and train.

    Args:
        cfg (Config): A config from :func:`merge_train_args`.

    Returns:
        Runner: The runner, after training.
    """
    init_cpu_dist_if_needed(cfg, cfg.get('launcher', 'none'))
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.train()
    return runner
