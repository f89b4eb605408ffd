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
