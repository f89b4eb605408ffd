#!/usr/bin/env bash
# torchrun (torch.distributed.run) of one of these tools, as mmpretrain's
# dist_train.sh / dist_test.sh start theirs; what those two scripts and
# dist_cache_teacher.sh run:
#   bash tools/dist_launch.sh TOOL NPROC [TOOL arguments]
# NPROC processes per machine: GPUs (NCCL), or CPU processes (gloo) on a
# machine without a GPU. Several machines: the same command on each, with
# NNODES, NODE_RANK (0 on the master), MASTER_ADDR (the master's address)
# and PORT. See docs/distributed.md.
TOOL=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
exec $PYTHON -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$NPROC \
    --master_port=$PORT \
    "$(dirname "$0")/$TOOL" "${@:3}"
