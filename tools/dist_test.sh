#!/usr/bin/env bash
# mmpretrain's tools/dist_test.sh, through torchrun (torch.distributed.run).
# NPROC processes per machine: GPUs (NCCL), or CPU processes (gloo) on a
# machine without a GPU.
#   bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [tools/test.py arguments]
# Several machines: NNODES, NODE_RANK, MASTER_ADDR, PORT as for
# tools/dist_train.sh (docs/distributed.md).

CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
$PYTHON -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    $(dirname "$0")/test.py \
    $CONFIG \
    $CHECKPOINT \
    --launcher pytorch \
    ${@:4}
