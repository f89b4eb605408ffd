#!/usr/bin/env bash
# mmpretrain's tools/dist_train.sh: tools/train.py over NPROC processes per
# machine (GPUs, or CPU processes with gloo), through tools/dist_launch.sh
# (several machines: see there and docs/distributed.md).
#   bash tools/dist_train.sh CONFIG NPROC [tools/train.py arguments]
CONFIG=$1
NPROC=$2
exec bash "$(dirname "$0")/dist_launch.sh" train.py "$NPROC" \
    "$CONFIG" --launcher pytorch "${@:3}"
