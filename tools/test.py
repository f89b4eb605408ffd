"""Test with mmpretrain's runner: ``python tools/test.py CONFIG CHECKPOINT``.

Same arguments as mmpretrain's ``tools/test.py`` (``--amp`` runs bf16
autocast on a CPU). A joint-learning checkpoint holds the student only, so
it can be tested with the joint config or with the student config
(``configs/compact_*.py``); the latter needs no teacher checkpoint.
``--launcher pytorch`` (``tools/dist_test.sh``) also runs on a CPU-only
machine, with gloo (:func:`mmcompact.utils.init_cpu_dist_if_needed`).
``--cfg-options`` keys that would change nothing are refused
(:func:`mmcompact.utils.check_cfg_options`), and so is a checkpoint that
does not fit the config's model (mmengine would load what matches, warn,
and test a half-random network; :func:`mmcompact.apis.load_classifier`).
"""
import mmcompact  # noqa: F401  (registers modules, safe checkpoint loading)
from mmcompact.apis import load_classifier
from mmcompact.utils import (check_cfg_options, init_cpu_dist_if_needed,
                             load_mmpretrain_tool)


def main():
    tool = load_mmpretrain_tool('test.py')
    merge_args = tool.merge_args

    def merge_args_and_init_dist(cfg, args):
        # mmpretrain's main builds the runner right after merge_args: the
        # last point where the CPU process group can be started first.
        check_cfg_options(cfg, args.cfg_options)
        cfg = merge_args(cfg, args)
        # Before the runner, which loads non-strictly.
        load_classifier(cfg, args.checkpoint)
        init_cpu_dist_if_needed(cfg, args.launcher)
        return cfg

    # The loaded script is this process's own module object; its main
    # looks merge_args up in that module.
    tool.merge_args = merge_args_and_init_dist
    tool.main()


if __name__ == '__main__':
    main()
