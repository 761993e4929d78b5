#!/usr/bin/env bash
# Run a command as a Slurm job (array), wait for it, and report like local.sh.
#
# Usage: slurm.sh [--config conf/slurm.conf] [--gpu N] [--mem M] [--time T] [--num_nodes N]
#                 [--max_jobs_run K] [--signal_seconds S] [--cancel_timeout S] [--dry_run true] [--after FILE]
#                 [JOB=1:N] LOG COMMAND...
#
# With JOB=1:N, ONE job array is submitted (sbatch --array=1-N%K); task i runs
# COMMAND with the string "JOB" in LOG and COMMAND replaced by i. Without JOB=,
# a single job. slurm.sh waits until every task has finished and exits 0 only if
# all succeeded; otherwise it names each failed task, its log and the log's tail.
# --after FILE (as local.sh's): line i lists the tasks task i waits for. The tasks then
# run in rounds, one job array each: those that wait for nothing, then those that wait
# only for tasks of earlier rounds, and so on; a task whose task failed is not started.
#
# Resource options (--gpu, --mem, --time, --num_nodes and any other --NAME VALUE)
# become sbatch flags through the config file (ESPnet's format, see
# egs/speech_commands/scr1/conf/slurm.conf):
#   command sbatch --export=PATH      # how to submit
#   default time=24:00:00             # value used when the option is not given
#   option time=* --time $0           # any value: these flags, $0 = the value
#   option gpu=0                      # this exact value: no flags at all
#   option gpu=* -p gpu --gres=gpu:$0 -c $0
# An option that the config cannot map is an error.
#
# Each submission writes a batch script into <dir of LOG>/q/. A task prints a
# header into its log, runs COMMAND (output appended to the log) and writes its
# exit status and run time into the log and into q/<name>.<i>.status.
# Preemption: the task forwards SIGUSR1 and SIGTERM to COMMAND (Slurm sends
# SIGUSR1 --signal_seconds before the time limit; 0 turns that off). A COMMAND
# that exits with status 75 (the trainer after saving a checkpoint) is requeued
# with scontrol requeue and runs again; if the job cannot be requeued the task
# is recorded as "preempted: rerun the stage to resume" (and a job that Slurm
# itself is ending, e.g. scancel, is never requeued). Processes started by a
# task ignore SIGUSR1/SIGTERM unless they install a handler (as the trainer
# does), so the shells between the task and the trainer survive the signal.
# Ctrl-C (or SIGTERM) on slurm.sh cancels the submitted job at once, even while the controller
# is slow to answer; scancel gets --cancel_timeout seconds (15), after which slurm.sh says that the
# job may still run and exits 130 all the same. A second Ctrl-C exits without waiting.
# Started in the background by a non-interactive shell (nohup ./run.sh &), slurm.sh has SIGINT
# ignored from the start, and bash can neither trap nor reset that: send it SIGTERM instead.
# --dry_run true writes the batch script and prints the sbatch command only.
set -u

me=slurm.sh
config=conf/slurm.conf
max_jobs_run=""
signal_seconds=300
max_requeues=20
cancel_timeout=15
dry_run=false
after=""
names=(); declare -A given=()
while [ $# -gt 0 ]; do
  case "$1" in
    --config|--max_jobs_run|--signal_seconds|--max_requeues|--cancel_timeout|--dry_run|--after)
      [ $# -ge 2 ] || { echo "$me: option $1 needs a value" >&2; exit 1; }
      v=${1#--}; printf -v "$v" '%s' "$2"; shift 2 ;;
    --*=*) echo "$me: write options as '--name value', not $1" >&2; exit 1 ;;
    --?*)
      [ $# -ge 2 ] || { echo "$me: option $1 needs a value" >&2; exit 1; }
      n=${1#--}; [ -n "${given[$n]+x}" ] || names+=("$n"); given[$n]=$2; shift 2 ;;
    *) break ;;
  esac
done

first=1; last=1; array=false
if [[ "${1:-}" =~ ^JOB=([0-9]+):([0-9]+)$ ]]; then
  first=${BASH_REMATCH[1]}; last=${BASH_REMATCH[2]}; array=true; shift
  [ "$first" -le "$last" ] || { echo "$me: empty range JOB=$first:$last" >&2; exit 1; }
fi
if [ $# -lt 2 ]; then
  echo "usage: $me [--config conf/slurm.conf] [--gpu N] [--mem M] [--time T] [--max_jobs_run K]" \
    "[JOB=1:N] LOG COMMAND..." >&2
  exit 1
fi
log_tmpl=$1; shift
command=("$@")

# --after FILE: line i lists the tasks task i waits for; level_of[i]: 1 + the highest level among them
declare -A waits_for=() level_of=()
rounds=1
if [ -n "$after" ]; then
  $array || { echo "$me: --after needs JOB=1:N" >&2; exit 1; }
  . "$(dirname "${BASH_SOURCE[0]}")/read_after.sh"
  read_after "$me" "$after" "$first" "$last" || exit 1
fi

# ---- the config: option values -> sbatch flags ----
[ -f "$config" ] || { echo "$me: no config file $config (see egs/speech_commands/scr1/conf/slurm.conf)" >&2; exit 1; }
submit=(sbatch)
declare -A defaults=() exact=() wild=(); default_names=()
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  line=${line%%#*}
  read -r kind spec rest <<< "$line"
  [ -n "${kind:-}" ] || continue
  case "$kind" in
    command) read -ra submit <<< "$spec ${rest:-}" ;;
    default|option)
      [[ "${spec:-}" == ?*=* ]] || { echo "$me: $config line $lineno: expected '$kind NAME=VALUE ...'" >&2; exit 1; }
      if [ "$kind" = default ]; then defaults[${spec%%=*}]=${spec#*=}; default_names+=("${spec%%=*}")
      elif [ "${spec#*=}" = "*" ]; then wild[${spec%%=*}]=${rest:-}
      else exact[$spec]=${rest:-}
      fi ;;
    *) echo "$me: $config line $lineno: unknown keyword '$kind' (command, default or option)" >&2; exit 1 ;;
  esac
done < "$config"

name=$(basename "$log_tmpl"); name=${name%.log}; name=${name//.JOB/}; name=${name//JOB/}; name=${name:-job}
# the job name, if the config maps one; then the defaults of options not given
if [ -z "${given[name]+x}" ] && [ -n "${wild[name]+x}" ]; then names+=(name); given[name]=$name; fi
for n in "${default_names[@]}"; do
  if [ -z "${given[$n]+x}" ]; then names+=("$n"); given[$n]=${defaults[$n]}; fi
done
flags=()
for n in "${names[@]}"; do
  v=${given[$n]}
  if [ -n "${exact[$n=$v]+x}" ]; then f=${exact[$n=$v]}
  elif [ -n "${wild[$n]+x}" ]; then f=${wild[$n]}
  else
    echo "$me: $config cannot map --$n $v: add a line 'option $n=$v <sbatch flags>'" \
      "or 'option $n=* <sbatch flags with \$0>'" >&2
    exit 1
  fi
  read -ra words <<< "${f//\$0/$v}"
  flags+=("${words[@]}")
done

# time limit in seconds ([days-]hours:minutes:seconds, minutes, minutes:seconds, days-hours[:minutes]), or empty
to_seconds() {
  local t=$1 d=0 a b c
  if [[ $t =~ ^([0-9]+)-(.*)$ ]]; then
    d=${BASH_REMATCH[1]}; t=${BASH_REMATCH[2]}
    IFS=: read -r a b c <<< "$t"
    echo $(( d * 86400 + 10#${a:-0} * 3600 + 10#${b:-0} * 60 + 10#${c:-0} )); return
  fi
  [[ $t =~ ^[0-9]+(:[0-9]+){0,2}$ ]] || return 0
  IFS=: read -r a b c <<< "$t"
  if [ -n "$c" ]; then echo $(( 10#$a * 3600 + 10#$b * 60 + 10#$c ))
  else echo $(( 10#$a * 60 + 10#${b:-0} )); fi
}
if [ "$signal_seconds" -gt 0 ]; then
  limit=$(to_seconds "${given[time]:-}")
  if [ -n "$limit" ] && [ "$limit" -gt 0 ] && [ $((2 * signal_seconds)) -gt "$limit" ]; then
    signal_seconds=$(( limit / 10 > 0 ? limit / 10 : 1 ))  # else the warning would come right at the start
  fi
  flags+=("--signal=B:USR1@$signal_seconds")
fi

# ---- the batch script ----
logdir=$(dirname "$log_tmpl")
qdir=$logdir/q
mkdir -p "$qdir" || exit 1
script=$qdir/$name.sh
if $array; then
  out=$qdir/$name.%a.out
else
  out=$qdir/$name.out
fi
flags+=(--output "$out" --open-mode=append)
for ((j = first; j <= last; j++)); do rm -f "$qdir/$name.$j.status" "$qdir/$name.$j.out"; done
rm -f "$qdir/$name.out"

q() { printf '%q ' "$@"; }   # words quoted for the shell, each followed by a space
q1() { printf '%q' "$1"; }
{
  cat <<EOF
#!/usr/bin/env bash
# Written by slurm.sh on $(date '+%F %T'); submitted with
#   $(q "${submit[@]}" "${flags[@]}")$($array && echo "--array=$(if [ -n "$after" ]; then echo "<each round's tasks>"; else echo "$first-$last"; fi)${max_jobs_run:+%$max_jobs_run} ")$script
cd $(q1 "$PWD") || exit 1
[ -f ./path.sh ] && . ./path.sh
task=\${SLURM_ARRAY_TASK_ID:-$first}
log_tmpl=$(q1 "$log_tmpl")
command=($(q "${command[@]}"))
status=$(q1 "$qdir/$name").\$task.status
max_requeues=$max_requeues
EOF
  cat <<'EOF'
log=${log_tmpl//JOB/$task}
cmd=(); for a in "${command[@]}"; do cmd+=("${a//JOB/$task}"); done
attempt=$(( ${SLURM_RESTART_COUNT:-0} + 1 ))
mkdir -p "$(dirname "$log")"
[ "$attempt" -gt 1 ] || : > "$log"   # a requeued task keeps the log of its earlier runs
{
  echo "# ${cmd[*]}"
  id=${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}${SLURM_ARRAY_TASK_ID:+_$SLURM_ARRAY_TASK_ID}
  echo "# started at $(date '+%F %T') on $(hostname) (Slurm job $id, attempt $attempt)"
} >> "$log"
rm -f "$status"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}}
start=$SECONDS
# The command runs in its own process group with SIGUSR1/SIGTERM ignored, so that
# the shells on the way survive them; a program that handles them (the trainer)
# installs its own handler. A signal to this script goes to the whole group.
# The subshell writes the command's exit status itself: when Slurm signals every process of the job,
# the command may end while this script's 'wait' is being interrupted by its own trap, and 'wait'
# then reports 128+N instead of the command's status.
rm -f "$status.rc"
set -m
( trap '' USR1 TERM; "${cmd[@]}"; echo $? > "$status.rc" ) >> "$log" 2>&1 < /dev/null &
child=$!
set +m
forward() {
  echo "# $(date '+%F %T') received SIG$1; passed on to the command" >> "$log"
  kill -s "$1" -- "-$child" 2>/dev/null
}
trap 'forward USR1' USR1
trap 'forward TERM' TERM
while kill -0 "$child" 2>/dev/null; do wait "$child"; done  # wait returns early for each signal
wait "$child"; rc=$?
if [ -s "$status.rc" ]; then rc=$(cat "$status.rc"); fi  # absent if the subshell was killed (SIGKILL)
rm -f "$status.rc"
elapsed=$((SECONDS - start))
note=""
if [ "$rc" -eq 75 ]; then
  # requeue only while the job still runs (a warning signal, e.g. --signal=B:USR1@S); a job that
  # Slurm is ending (cancelled, out of time, preempted) shows COMPLETING and is left alone
  state=$(scontrol show job "$SLURM_JOB_ID" 2>&1 | grep -o 'JobState=[A-Z_]*' | head -n 1)
  if [ "$state" != JobState=RUNNING ]; then
    note="stopped by Slurm (${state:-JobState unknown}) after saving a checkpoint: rerun the stage to resume"
  elif [ "$attempt" -gt "$max_requeues" ]; then
    note="preempted $attempt times, not requeued again: rerun the stage to resume"
  elif msg=$(scontrol requeue "$SLURM_JOB_ID" 2>&1); then
    echo "# ended at $(date '+%F %T') (elapsed $elapsed s), exit status 75: preempted, requeued" >> "$log"
    exit 0
  else
    note="preempted: rerun the stage to resume (requeue failed: ${msg//$'\n'/ })"
  fi
fi
echo "# ended at $(date '+%F %T') (elapsed $elapsed s), exit status $rc${note:+; $note}" >> "$log"
printf 'exit_status=%s\nelapsed=%s\nnote=%s\n' "$rc" "$elapsed" "$note" > "$status.tmp" && mv "$status.tmp" "$status"
exit "$rc"
EOF
} > "$script"
chmod +x "$script"

# tasks_of_round R: the tasks at level R (every task without --after), as a list for sbatch --array
tasks_of_round() {
  local j list=""
  for ((j = first; j <= last; j++)); do [ "${level_of[$j]:-1}" != "$1" ] || list+="$j,"; done
  list=${list%,}
  [ -n "$after" ] || list="$first-$last"
  echo "$list"
}
array_flag() { echo "--array=$1${max_jobs_run:+%$max_jobs_run}"; }  # array_flag TASKS
if $dry_run; then
  for ((r = 1; r <= rounds; r++)); do
    round_flags=("${flags[@]}"); $array && round_flags+=("$(array_flag "$(tasks_of_round "$r")")")
    echo "$(q "${submit[@]}" "${round_flags[@]}")$script"
  done
  exit 0
fi

# ---- submit ----
for c in "${submit[0]}" squeue scancel; do
  if ! command -v "$c" > /dev/null; then
    echo "$me: '$c' not found (submit command from $config: ${submit[*]}). slurm.sh must run where the" \
      "Slurm client commands work (a login node of the cluster); or run the recipe with cmd_backend=local." >&2
    exit 1
  fi
done
# Every Slurm client call from here on runs in the background and the script waits for it with
# the 'wait' builtin: bash runs a trap only once the foreground command has ended, and a busy
# controller can keep squeue or scancel waiting for many seconds. 'wait' returns as soon as a
# trapped signal arrives, so Ctrl-C is acted on at once whatever the controller is doing.
tmp=$(mktemp "${TMPDIR:-/tmp}/slurm.sh.XXXXXX") || exit 1
jobid=""; bg=""
client() {  # client CMD...: run a Slurm client command in the background; output in $tmp, status in $?
  "$@" > "$tmp" 2>&1 < /dev/null &
  bg=$!
  wait "$bg"
}
stop_background() { [ -z "$bg" ] || kill "$bg" 2> /dev/null; }
cancel() {
  trap 'echo "$me: interrupted again; not waiting for scancel" >&2; exit 130' INT TERM
  if [ -z "$jobid" ] && [ -n "$bg" ]; then  # interrupted while submitting: learn the id if sbatch gets one
    wait "$bg" 2> /dev/null && jobid=$(head -n 1 "$tmp") && jobid=${jobid%%;*}
  fi
  stop_background  # a poll or a pause: neither matters now
  if [ -z "$jobid" ]; then
    echo "$me: interrupted before a job was submitted" >&2
  else
    echo "$me: interrupted; cancelling Slurm job $jobid" >&2
    # bounded: scancel's own retries can outlast the patience of whoever pressed Ctrl-C
    timeout -k 2 "$cancel_timeout" scancel "$jobid" > "$tmp" 2>&1 < /dev/null &
    bg=$!
    wait "$bg"; rc=$?
    if [ "$rc" -ne 0 ]; then
      if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then why="the Slurm controller did not answer within $cancel_timeout s"
      else why="scancel failed: $(tr '\n' ' ' < "$tmp" | sed 's/ *$//')"; fi
      echo "$me: could not cancel Slurm job $jobid ($why); it may still run: cancel it with 'scancel $jobid'" >&2
    fi
  fi
  rm -f "$tmp"
  exit 130
}
trap 'rm -f "$tmp"' EXIT

failed=0
declare -A ok=()  # ok[task]: it succeeded
# run_round TASKS: submit one job array of TASKS (a list for sbatch --array, or empty for a single job),
# wait until every task has ended, report each failed task; sets ok[task]
run_round() {
  local tasks=$1 round_flags=("${flags[@]}") j st state log id why rc note o grace waited errors pause states
  [ -z "$tasks" ] || round_flags+=("$(array_flag "$tasks")")
  jobid=""; bg=""
  trap cancel INT TERM
  if ! client "${submit[@]}" --parsable "${round_flags[@]}" "$script"; then
    echo "$me: submission failed: $(q "${submit[@]}" --parsable "${round_flags[@]}")$script" >&2
    sed 's/^/    /' "$tmp" >&2
    echo "$me: check the command, partition, gres, memory and time lines of $config for this cluster" >&2
    exit 1
  fi
  jobid=$(head -n 1 "$tmp"); jobid=${jobid%%;*}
  if $array; then
    echo "$me: Slurm job $jobid, tasks ${tasks//,/ }${max_jobs_run:+ ($max_jobs_run at a time)}; logs $log_tmpl"
  else
    echo "$me: Slurm job $jobid; log $log_tmpl"
  fi

  # A task is still running while squeue lists it in a state other than a final one
  # (a requeued task is pending again); a job that squeue no longer knows is over.
  local final=" BOOT_FAIL CANCELLED COMPLETED DEADLINE FAILED NODE_FAIL OUT_OF_MEMORY PREEMPTED TIMEOUT "
  declare -A state_of=()
  waited=0; errors=0
  while :; do
    if client squeue -h -r -t all -j "$jobid" -o "%K %T"; then
      errors=0; busy=false; state_of=()
      while read -r task st; do
        [ -n "${st:-}" ] || continue
        [ "$task" != N/A ] || task=$first
        state_of[$task]=$st
        [[ $final == *" $st "* ]] || busy=true
      done < "$tmp"
      $busy || break
    elif grep -q "Invalid job id" "$tmp"; then
      break
    else  # the controller may be restarting: keep trying for an hour
      states=$(tr '\n' ' ' < "$tmp")
      [ "$errors" -gt 0 ] || failing_since=$SECONDS
      errors=$((errors + 1))
      if [ $((SECONDS - failing_since)) -gt 3600 ]; then
        echo "$me: squeue has failed for an hour ($states); giving up on Slurm job $jobid, which may still run" >&2
        exit 1
      fi
      [ $((errors % 10)) -ne 1 ] || echo "$me: squeue failed ($states); still waiting for Slurm job $jobid" >&2
    fi
    pause=$(( waited / 10 + 1 < 10 ? waited / 10 + 1 : 10 ))  # poll often at first, then every 10 s
    client sleep "$pause"
    waited=$((waited + pause))
  done
  trap - INT TERM

  grace=$((SECONDS + 10))
  for j in $(if [ -z "$tasks" ]; then echo "$first"; else tasks_expand "$tasks"; fi); do
    st=$qdir/$name.$j.status
    state=${state_of[$j]:-}
    case "$state" in  # a task that ended by itself has written its status, but a network file system may lag
      ""|COMPLETED|FAILED) while [ ! -f "$st" ] && [ $SECONDS -lt $grace ]; do sleep 1; done ;;
    esac
    log=${log_tmpl//JOB/$j}
    if $array; then id=${jobid}_$j; else id=$jobid; fi
    if [ -f "$st" ]; then
      rc=$(sed -n 's/^exit_status=//p' "$st"); note=$(sed -n 's/^note=//p' "$st")
      if [ "$rc" = 0 ]; then ok[$j]=1; continue; fi
      why="exit status $rc${note:+; $note}"
    else
      o=${out//%a/$j}
      why="it ended without an exit status${state:+ in state $state}: cancelled, out of time or memory, or node failure?"
      [ -s "$o" ] && why+=" Slurm said: $(tail -n 2 "$o" | tr '\n' ' ')"
    fi
    failed=$((failed + 1))
    echo "$me: job $j of $first..$last (Slurm job $id) failed; see $log ($why):" >&2
    [ -f "$log" ] && tail -n 5 "$log" | sed 's/^/    /' >&2
  done
}
tasks_expand() {  # tasks_expand "1-3" or "1,4,5": one task per line
  local part
  for part in ${1//,/ }; do
    if [[ $part == *-* ]]; then seq "${part%-*}" "${part#*-}"; else echo "$part"; fi
  done
}

# Rounds: every task without --after; with it, the tasks that wait for nothing, then those that wait
# for them, and so on (Slurm cannot give one task of an array its own dependency, so a round
# waits for the whole round before it: a cluster usually has slots for all of a round at once)
for ((r = 1; r <= rounds; r++)); do
  if ! $array; then run_round ""; break; fi
  tasks=""
  for j in $(tasks_expand "$(tasks_of_round "$r")"); do
    blocked=""
    for d in ${waits_for[$j]:-}; do [ -n "${ok[$d]:-}" ] || blocked=$d; done
    if [ -n "$blocked" ]; then
      log=${log_tmpl//JOB/$j}; mkdir -p "$(dirname "$log")"
      echo "# not started: task $blocked, which it waits for, did not succeed (${log_tmpl//JOB/$blocked})" > "$log"
      failed=$((failed + 1))
      echo "$me: job $j of $first..$last was not started; see $log: task $blocked, which it waits for, did not succeed" >&2
    else
      tasks+="$j,"
    fi
  done
  [ -z "$tasks" ] || run_round "$(if [ -n "$after" ]; then echo "${tasks%,}"; else echo "$first-$last"; fi)"
done
[ "$failed" -eq 0 ]
