_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mmcompact'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(interval=50),
    # Keep the newest checkpoint (for --resume) and the best one; written
    # to a temporary file and renamed, so a kill while saving loses nothing.
    checkpoint=dict(type='AtomicCheckpointHook', interval=1,
                    max_keep_ckpts=1, save_best='auto'),
    # Checkpoints keep the random generators' states, so a run resumed
    # after a kill repeats the uninterrupted one (docs/reliability.md).
    random_state=dict(type='RandomStateHook'),
    # A replayed teacher cache must hold the training set's images.
    teacher_cache_check=dict(type='TeacherCacheCheckHook'))
randomness = dict(seed=0)

# Scalars (the losses -- loss_cls and loss_soft for joint models --, the
# learning rate, the validation metrics and TeacherEvalHook's teacher/*)
# go to <work_dir>/<time>/vis_data/scalars.json. TensorBoard as well
# (pip install "mmcompact[tensorboard]"; tensorboard --logdir work_dirs):
#   MMCOMPACT_TENSORBOARD=1 python tools/train.py CONFIG   (or compact.py)
# or, in a config: visualizer = dict(vis_backends=[
#     dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])
vis_backends = [dict(type='LocalVisBackend')]
if '{{$MMCOMPACT_TENSORBOARD:0}}' == '1':
    vis_backends.append(dict(type='TensorboardVisBackend'))
elif '{{$MMCOMPACT_TENSORBOARD:0}}' != '0':
    raise ValueError('MMCOMPACT_TENSORBOARD must be 0 or 1, got '
                     '"{{$MMCOMPACT_TENSORBOARD:0}}"')
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
