_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mmcompact'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(interval=50),
    # Keep the newest checkpoint (for --resume) and the best one.
    checkpoint=dict(interval=1, max_keep_ckpts=1, save_best='auto'))
randomness = dict(seed=0)
