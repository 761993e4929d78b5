#!/usr/bin/env bash
# Run line N of a job list (one shell command per line): run_line.sh LIST N
# Stage scripts write job lists so that one JOB=1:N call runs them all, as
# parallel local jobs or as a Slurm job array.
set -euo pipefail
list=$1; n=$2
line=$(sed -n "${n}p" "$list")
if [ -z "$line" ]; then echo "run_line.sh: $list has no line $n" >&2; exit 1; fi
echo "+ $line"
eval "$line"
