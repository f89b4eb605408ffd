"""Train with mmpretrain's runner: ``python tools/train.py CONFIG [...]``.

Same arguments as mmpretrain's ``tools/train.py``; ``--amp`` also works on
a CPU-only machine (bf16 autocast through ``AutoAmpOptimWrapper``), where
mmengine's ``AmpOptimWrapper`` would refuse to start. ``--launcher pytorch``
(``tools/dist_train.sh``) also runs on a CPU-only machine, with gloo
(:func:`mmcompact.utils.init_cpu_dist_if_needed`).

The steps are :mod:`mmcompact.apis.training`'s, which ``tools/compact.py``
runs its training stages through, so a stage it runs is this command.
"""
from mmengine.config import Config

import mmcompact  # noqa: F401  (registers modules, safe checkpoint loading)
from mmcompact.apis import merge_train_args, parse_train_args, train


def main():
    args = parse_train_args()
    train(merge_train_args(Config.fromfile(args.config), args))


if __name__ == '__main__':
    main()
