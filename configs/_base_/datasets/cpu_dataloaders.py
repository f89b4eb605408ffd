# Data loading shared by the dataset bases: data sets held in memory, read
# in the main process. No worker process: on a CPU with few cores the
# model's threads already use them all, and the in-memory pipeline is cheap
# (benchmarks/cpu_bench.py times this setting against one worker process).
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

# For configs whose data_preprocessor draws the training views on the
# stacked batch (RandomViewClsDataPreprocessor with a `view`): the pipeline
# only packs the in-memory images, collated into one uint8 tensor. Use:
#   train_dataloader = dict(_base_.batch_view_loader, batch_size=...)
batch_view_loader = dict(
    collate_fn=dict(type='default_collate'),
    dataset=dict(pipeline=[dict(type='PackInputs')]))
