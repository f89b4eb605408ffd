#!/usr/bin/env bash
# tools/cache_teacher.py over NPROC processes per machine (GPUs, or CPU
# processes with gloo), through torchrun as tools/dist_train.sh:
#   bash tools/dist_cache_teacher.sh JOINT_CONFIG NPROC [cache_teacher.py arguments]
CONFIG=$1
NPROC=$2
exec bash "$(dirname "$0")/dist_launch.sh" cache_teacher.py "$NPROC" \
    "$CONFIG" --launcher pytorch "${@:3}"
