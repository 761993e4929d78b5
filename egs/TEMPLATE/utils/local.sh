#!/usr/bin/env bash
# Run a command as N parallel jobs on this machine, each with its own log.
#
# Usage: local.sh [--gpu N] [--mem M] [--time T] [--max_jobs_run K] [--after FILE] [JOB=1:N] LOG COMMAND...
#
# With JOB=1:N, the command runs N times, "JOB" in LOG and COMMAND replaced by
# 1..N, at most K at a time (default: number of CPUs), started in the order 1..N.
# Each log starts with the command and ends with its exit status and run time.
# Exits 0 only if every job succeeded; otherwise names the failed jobs and their logs.
# --after FILE: line i of FILE lists the jobs (numbers in 1..N, blank: none) that job i
# waits for; job i starts as soon as they have all succeeded and a slot is free (not
# when a whole group of jobs has ended), and is not started at all if one of them
# failed (its log says which).
# --gpu, --mem and --time are accepted for compatibility with slurm.sh; --gpu
# sets CUDA_VISIBLE_DEVICES per job on a multi-GPU machine. Unless OMP_NUM_THREADS
# is set, the CPUs are divided among the jobs that run at once.
set -u

gpu=0
after=""
max_jobs_run=$(nproc 2>/dev/null || echo 2)
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) gpu="$2"; shift 2 ;;
    --mem|--time|--num_nodes|--cpus) shift 2 ;;
    --max_jobs_run) max_jobs_run="$2"; shift 2 ;;
    --after) after="$2"; shift 2 ;;
    --*) echo "local.sh: unknown option $1" >&2; exit 1 ;;
    *) break ;;
  esac
done

first=1; last=1; array=false
if [[ "${1:-}" =~ ^JOB=([0-9]+):([0-9]+)$ ]]; then
  first=${BASH_REMATCH[1]}; last=${BASH_REMATCH[2]}; array=true; shift
fi
if [ $# -lt 2 ]; then
  echo "usage: local.sh [--gpu N] [--max_jobs_run K] [--after FILE] [JOB=1:N] LOG COMMAND..." >&2; exit 1
fi
log_tmpl=$1; shift

# waits_for[j]: the jobs job j waits for (from --after)
declare -A waits_for=() level_of=()
if [ -n "$after" ]; then
  . "$(dirname "${BASH_SOURCE[0]}")/read_after.sh"
  read_after local.sh "$after" "$first" "$last" || exit 1
fi

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
declare -A status_of=() pid_of=()  # status_of[j]: exit status of a finished job; "-": not started
ended=$(mktemp -d "${TMPDIR:-/tmp}/local.sh.XXXXXX") || exit 1
mkfifo "$ended/fifo" && exec 3<> "$ended/fifo" && rm -r "$ended" || exit 1  # open read-write: never blocks
pending=(); for ((j = first; j <= last; j++)); do pending+=("$j"); done
running=0
while [ ${#pending[@]} -gt 0 ] || [ "$running" -gt 0 ]; do
  left=()
  for j in ${pending[@]+"${pending[@]}"}; do  # start, in order, every job whose jobs have succeeded
    ready=true
    for d in ${waits_for[$j]:-}; do
      if [ -z "${status_of[$d]:-}" ]; then ready=false
      elif [ "${status_of[$d]}" != 0 ]; then
        ready=false; status_of[$j]=-
        log=${log_tmpl//JOB/$j}; mkdir -p "$(dirname "$log")"
        echo "# not started: job $d, which it waits for, did not succeed (${log_tmpl//JOB/$d})" > "$log"
        break
      fi
    done
    [ -z "${status_of[$j]:-}" ] || continue  # not started: it is done with
    if $ready && [ "$running" -lt "$max_jobs_run" ]; then
      { run_one "$j"; echo "$j $?" >&3; } & pid_of[$j]=$!; running=$((running + 1))
    else
      left+=("$j")
    fi
  done
  pending=(${left[@]+"${left[@]}"})
  [ "$running" -gt 0 ] || break  # (cannot happen: a job only waits for earlier ones)
  read -r j rc <&3  # the next job to end (each job writes "JOB STATUS" to the pipe as it ends)
  wait "${pid_of[$j]}"; status_of[$j]=$rc; running=$((running - 1))
done
failed=0
for ((j = first; j <= last; j++)); do
  [ "${status_of[$j]}" = 0 ] && continue
  failed=$((failed + 1))
  log=${log_tmpl//JOB/$j}
  if [ "${status_of[$j]}" = - ]; then echo "local.sh: job $j of $first..$last was not started; see $log:" >&2
  else echo "local.sh: job $j of $first..$last failed; see $log:" >&2; fi
  tail -n 5 "$log" | sed 's/^/    /' >&2
done
[ "$failed" -eq 0 ]
