"""Train with mmpretrain's runner: ``python tools/train.py CONFIG [...]``.

Same arguments as mmpretrain's ``tools/train.py``; ``--amp`` also works on
a CPU-only machine (bf16 autocast through ``AutoAmpOptimWrapper``), where
mmengine's ``AmpOptimWrapper`` would refuse to start.
"""
from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmcompact  # noqa: F401  (registers modules, safe checkpoint loading)
from mmcompact.utils import load_mmpretrain_tool


def main():
    tool = load_mmpretrain_tool('train.py')
    args = tool.parse_args()
    cfg = tool.merge_args(Config.fromfile(args.config), args)
    if args.amp:
        # AutoAmpOptimWrapper is AmpOptimWrapper on a GPU, bf16 on a CPU.
        cfg.optim_wrapper.type = 'AutoAmpOptimWrapper'
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
