#!/usr/bin/env bash
# mmpretrain's tools/dist_test.sh: tools/test.py over NPROC processes per
# machine (GPUs, or CPU processes with gloo), through tools/dist_launch.sh
# (several machines: see there and docs/distributed.md).
#   bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [tools/test.py arguments]
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
exec bash "$(dirname "$0")/dist_launch.sh" test.py "$NPROC" \
    "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
