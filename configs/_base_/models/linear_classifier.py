# The classifier every model here is: a backbone, global average pooling
# and a linear head. Model bases add the backbone and the head's input
# width; leaf configs set the class count from their dataset base.
model = dict(
    type='ImageClassifier',
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
