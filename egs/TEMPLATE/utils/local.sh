#!/usr/bin/env bash
# Run a command as N parallel jobs on this machine, each with its own log.
#
# Usage: local.sh [--gpu N] [--mem M] [--time T] [--max_jobs_run K] [JOB=1:N] LOG COMMAND...
#
# With JOB=1:N, the command runs N times, "JOB" in LOG and COMMAND replaced by
# 1..N, at most K at a time (default: number of CPUs). Each log starts with
# the command and ends with its exit status and run time. Exits 0 only if
# every job succeeded; otherwise names the failed jobs and their logs.
# --gpu, --mem and --time are accepted for compatibility with slurm.sh; --gpu
# sets CUDA_VISIBLE_DEVICES per job on a multi-GPU machine. Unless OMP_NUM_THREADS
# is set, the CPUs are divided among the jobs that run at once.
set -u

gpu=0
max_jobs_run=$(nproc 2>/dev/null || echo 2)
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) gpu="$2"; shift 2 ;;
    --mem|--time|--num_nodes|--cpus) shift 2 ;;
    --max_jobs_run) max_jobs_run="$2"; shift 2 ;;
    --*) echo "local.sh: unknown option $1" >&2; exit 1 ;;
    *) break ;;
  esac
done

first=1; last=1; array=false
if [[ "${1:-}" =~ ^JOB=([0-9]+):([0-9]+)$ ]]; then
  first=${BASH_REMATCH[1]}; last=${BASH_REMATCH[2]}; array=true; shift
fi
if [ $# -lt 2 ]; then
  echo "usage: local.sh [--gpu N] [--max_jobs_run K] [JOB=1:N] LOG COMMAND..." >&2; exit 1
fi
log_tmpl=$1; shift

run_one() {  # run_one JOB_INDEX
  local j=$1 log cmd=()
  log=${log_tmpl//JOB/$j}
  for a in "${command[@]}"; do cmd+=("${a//JOB/$j}"); done
  mkdir -p "$(dirname "$log")"
  local start=$SECONDS
  {
    echo "# ${cmd[*]}"
    echo "# started at $(date '+%F %T') on $(hostname)"
  } > "$log"
  if $array && [ "$gpu" -gt 0 ] && [ -z "${CUDA_VISIBLE_DEVICES:-}" ]; then
    export CUDA_VISIBLE_DEVICES=$(( (j - first) % $(nvidia-smi -L 2>/dev/null | wc -l | awk '{print ($1>0)?$1:1}') ))
  fi
  ( "${cmd[@]}" ) >> "$log" 2>&1
  local rc=$?
  echo "# ended at $(date '+%F %T') (elapsed $((SECONDS - start)) s), exit status $rc" >> "$log"
  return $rc
}

command=("$@")
# divide the cores among the jobs that run at once: several torch processes with a
# thread per core each would fight over the cores and all run many times slower
if [ -z "${OMP_NUM_THREADS:-}" ]; then
  concurrent=$(( last - first + 1 < max_jobs_run ? last - first + 1 : max_jobs_run ))
  export OMP_NUM_THREADS=$(( $(nproc) / concurrent > 0 ? $(nproc) / concurrent : 1 ))
fi
pids=(); jobs_of=()
failed=()
for ((j = first; j <= last; j++)); do
  while [ "$(jobs -rp | wc -l)" -ge "$max_jobs_run" ]; do wait -n || true; done
  run_one "$j" & pids+=($!); jobs_of+=("$j")
done
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then failed+=("${jobs_of[$i]}"); fi
done
if [ ${#failed[@]} -gt 0 ]; then
  for j in "${failed[@]}"; do
    log=${log_tmpl//JOB/$j}
    echo "local.sh: job $j of $first..$last failed; see $log:" >&2
    tail -n 5 "$log" | sed 's/^/    /' >&2
  done
  exit 1
fi
exit 0
