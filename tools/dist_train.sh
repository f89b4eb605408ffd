#!/usr/bin/env bash
# mmpretrain's tools/dist_train.sh, through torchrun (torch.distributed.run,
# the successor of torch.distributed.launch). NPROC processes per machine:
# GPUs (NCCL), or CPU processes (gloo) on a machine without a GPU.
#   bash tools/dist_train.sh CONFIG NPROC [tools/train.py arguments]
# Several machines: the same command on each, with NNODES, NODE_RANK (0 on
# the master), MASTER_ADDR (the master's address) and PORT. See
# docs/distributed.md.

CONFIG=$1
GPUS=$2
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
    $(dirname "$0")/train.py \
    $CONFIG \
    --launcher pytorch ${@:3}
