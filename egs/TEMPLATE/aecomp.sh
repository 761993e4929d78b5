#!/usr/bin/env bash
# The stages every aecomp recipe shares. A recipe's run.sh sets its defaults
# and calls this script from the recipe folder; the recipe supplies
# local/data.sh (stage 1) and conf/train_<system>.yaml for each system.
#
#   (0 check     before the first stage: every system's config builds and runs a dummy batch)
#   1 data       local/data.sh -> data/{train,dev,test} (+ noise_train, noise_test_* where the task mixes noise)
#                (with --folds K: data/fold<k>/{train,...} for k = 1..K, and stages 2-5 run once per
#                fold on data/fold<k>/, into exp/<system>/fold<k>_seed<s>/; stage 6 reports over all)
#   2 validate   check every data dir and the audio it names
#   3 evalsets   the grid of --eval_config (conditions x levels) -> data/eval/<condition>[_<level><unit>]
#   4 train      every system and seed -> exp/<system>/seed<k>/model.pt
#   5 evaluate   every system on every set under data/eval -> exp/<system>/seed<k>/eval/ (and the weights kept
#                after epoch N, trainer.keep_epochs, -> exp/<system>/seed<k>/eval_epoch<N>/)
#   6 report     RESULTS.md, exp/results.csv (+ results_per_seed.csv), exp/results_<family>.png,
#                exp/index.html (the results page: tables, plots, the examples kept by stage 5)
#
# Every stage can be rerun: finished work is kept (data/.done, model.pt,
# metrics.json), interrupted training resumes from its last checkpoint.
# Each stage that makes outputs records how (command, options, commit) in a
# .stage<N> file next to them; stage 6 prints these records in RESULTS.md.
set -euo pipefail

help_message="Usage: $0 [options]
Runs the stages of an aecomp recipe from the recipe folder (egs/<corpus>/<task>1).
Corpus roots come from db.sh (unset: the built-in mini corpus); job commands from cmd.sh."

# -- options (each can be given as --name value) --
stage=1                # first stage to run
stop_stage=6           # last stage to run
ngpu=0                 # GPUs per training job (0: CPU)
nj=2                   # parallel jobs for data preparation and evaluation
train_nj=1             # training jobs run at the same time
systems=""             # systems to train; each is <conf_dir>/train_<system>.yaml
conf_dir=conf          # folder of the training configs (conf/debug: tiny ones for tests)
seeds="1"              # training seeds; each system is trained once per seed
folds=0                # K > 0: cross-validation folds (local/data.sh --folds K writes data/fold<k>/); stages 2-5 run per fold
train_args=""          # config overrides for every training, e.g. "trainer.seed=3 data.batch_size=8"
data_args=""           # options passed to local/data.sh
eval_args=""           # options passed to 'aecomp evaluate', e.g. "--batch_size 64"
eval_config=conf/eval.yaml  # evaluation grid (conditions x levels, seed); another one adds its sets to data/eval
keep_examples=3        # stage 5 keeps the first N test utterances of the --example_sets as clips for the results page
example_sets="seen_0dB unseen_0dB mp3_32kbps"  # set names (shell patterns) whose examples are kept (absent ones: none)
sample_rate=16000      # sample rate of every data set
datadir=data           # where data directories go
expdir=exp             # where systems and results go
title="aecomp results" # title of the results table
results=RESULTS.md     # where the results table goes
check_config=true      # before the first stage (if it is <= 4): build every system on a dummy batch (seconds)
run_prefix=""          # (set by --folds for each fold's stages 2-5) run dirs are exp/<system>/<run_prefix>seed<k>
# -- end of options --
all_args=("$@")  # each fold's stages 2-5 rerun this script with these, then the fold's own options

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/utils/quote_args.sh"
full_command=${AECOMP_RUN_COMMAND:-$(quote_args "$0" "$@")}  # recorded in RESULTS.md
. "$here/utils/parse_options.sh"
[ $# -eq 0 ] || { echo "$0: unexpected argument(s): $*. A value with spaces needs quotes," \
  "e.g. --systems \"clean noisy\"" >&2; exit 1; }
. ./path.sh
. ./cmd.sh
. ./db.sh

log() { echo "$(date '+%F %T') ($(basename "$0") stage ${current:-}) $*"; }
# run_stage N: whether stage N runs here (with --folds, stages 2-5 run in each fold's own call of this script)
run_stage() {
  current=$1; [ "$1" -ge "$stage" ] && [ "$1" -le "$stop_stage" ] && { [ "$folds" -eq 0 ] || [ "$1" -eq 1 ] || [ "$1" -eq 6 ]; }
}
# record_stage N DIR OPTIONS...: write DIR/.stage<N>, how stage N made the outputs in DIR
record_stage() {
  local n=$1 dir=$2 commit; shift 2
  commit=$(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)
  [ "$commit" = unknown ] || [ -z "$(git -C "$here" status --porcelain --untracked-files=no 2>/dev/null)" ] \
    || commit+=" (with uncommitted changes)"
  { echo "command: $full_command"; echo "options: $(quote_args "$@")"; echo "commit: $commit"; echo "date: $(date -u '+%F %T UTC')"
    local v; for v in $(sed -n 's/^ *export \([A-Za-z_0-9]*\)=.*/\1/p' db.sh); do echo "env: $v=${!v:-}"; done
  } > "$dir/.stage$n.tmp"
  mv "$dir/.stage$n.tmp" "$dir/.stage$n"
}
log "command: $full_command"
[ -n "$systems" ] || { echo "$0: no --systems given" >&2; exit 1; }
for s in $systems; do
  [ -f "$conf_dir/train_${s}.yaml" ] || { echo "$0: system '$s' has no config $conf_dir/train_${s}.yaml" >&2; exit 1; }
done
[[ "$folds" =~ ^[0-9]+$ ]] || { echo "$0: --folds must be a number of folds (0: none), got '$folds'" >&2; exit 1; }
if [ "$folds" -gt 0 ] && ! grep -q '^folds=' local/data.sh; then
  echo "$0: --folds $folds: this recipe's local/data.sh has no folds option (its corpus defines no folds);" \
    "run without --folds, or give local/data.sh a --folds option that writes $datadir/fold<k>/" >&2; exit 1
fi
runs=""  # run dirs of each system: <run_prefix>seed<s>, or fold<k>_seed<s> for every fold
for seed in $seeds; do
  if [ "$folds" -eq 0 ]; then runs+="${run_prefix}seed$seed "; else
    for k in $(seq 1 "$folds"); do runs+="fold${k}_seed$seed "; done
  fi
done
mkdir -p "$expdir/log"

# deps_of[system]: the systems it starts from (the init section of its config), every config read in one
# Python start; each must be in --systems (trained first) or trained in $expdir already
declare -A deps_of
read_init_systems() {
  local train_configs=() deps_lines deps i=0 system d run
  for system in $systems; do train_configs+=("$conf_dir/train_${system}.yaml"); done
  deps_lines=$(aecomp train --print_init_systems "${train_configs[@]}")  # its own line: a failure stops here
  mapfile -t deps <<< "$deps_lines"
  for system in $systems; do deps_of[$system]=${deps[i]:-}; i=$((i + 1)); done
  for system in $systems; do
    for d in ${deps_of[$system]}; do
      case " $systems " in *" $d "*) continue ;; esac
      for run in $runs; do
        [ -f "$expdir/$d/$run/model.pt" ] || { echo "$0: system '$system' starts from '$d' (the init section of" \
          "$conf_dir/train_${system}.yaml), which is not in --systems and has no trained $expdir/$d/$run/model.pt:" \
          "add $d to --systems (it trains first), or train it into $expdir" >&2; exit 1; }
      done
    done
  done
}

# Stage 0, before whichever stage runs first: config mistakes fail in seconds, not after data preparation.
# Systems still to train (a trained one keeps its config.yaml) and their configs; those naming the mini
# corpus's SSL upstream while it is not built yet wait for it: it is pre-trained after stage 1, only then.
to_check=""; configs=(); ssl_later=()
if [ "$stage" -le 4 ] && [ "$stop_stage" -ge "$stage" ]; then
  for s in $systems; do
    for run in $runs; do
      [ -f "$expdir/$s/$run/model.pt" ] || { configs+=("$conf_dir/train_${s}.yaml"); to_check+="$s "; break; }
    done
  done
  if [ -n "$to_check" ] && [ ! -f "${SSL_UPSTREAM:-}" ] && [[ "${SSL_UPSTREAM:-}" == "${AECOMP_MINI:-}/upstream/"* ]]; then
    rest=(); for c in "${configs[@]}"; do
      if grep -q 'SSL_UPSTREAM' "$c"; then ssl_later+=("$c"); else rest+=("$c"); fi
    done; configs=(${rest[@]+"${rest[@]}"})
  fi
  [ "$stop_stage" -lt 4 ] || read_init_systems  # a system missing what it starts from stops here, not in stage 4
  if $check_config; then
    current=0
    if [ -z "$to_check" ]; then
      log "every system is trained: no config to check"
    else
      log "checking the configs of: $to_check(build each system, one dummy batch; --check_config false skips)"
      [ ${#configs[@]} -eq 0 ] || aecomp check-config --override "$train_args" "${configs[@]}"
    fi
  fi
fi

if run_stage 1; then
  log "data preparation -> $datadir/"
  fold_opt=""; [ "$folds" -eq 0 ] || fold_opt="--folds $folds "
  data_cmd="local/data.sh $fold_opt$data_args"
  if [ -f "$datadir/.done" ] && [ "$(cat "$datadir/.done")" = "$data_cmd" ]; then
    log "data already prepared ($datadir/.done); remove it to prepare again"
  else
    eval "local/data.sh --datadir '$datadir' --nj '$nj' $fold_opt$data_args"  # eval: quoted values in data_args
    for k in $(seq 1 "$folds"); do
      for d in train dev test; do
        [ -f "$datadir/fold$k/$d/wav.scp" ] || { echo "$0: '$data_cmd' wrote no $datadir/fold$k/$d/wav.scp" >&2; exit 1; }
      done
    done
    echo "$data_cmd" > "$datadir/.done"
    record_stage 1 "$datadir" --data_args "$data_args" ${fold_opt:+--folds "$folds"} --sample_rate "$sample_rate"
  fi
fi
if [ ${#ssl_later[@]} -gt 0 ]; then  # only systems that use it pay for the upstream's pre-training
  current=0
  if [ ! -f "$SSL_UPSTREAM" ]; then
    log "building the mini corpus's SSL upstreams for ${ssl_later[*]} ($SSL_UPSTREAM; a few minutes)"
    aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir" --opt task=upstream
  fi
  if $check_config; then
    log "checking the configs that name the SSL upstream: ${ssl_later[*]}"
    aecomp check-config --override "$train_args" "${ssl_later[@]}"
  fi
fi

if [ "$folds" -gt 0 ] && [ "$stage" -le 5 ] && [ "$stop_stage" -ge 2 ]; then
  first=$((stage > 2 ? stage : 2)); last=$((stop_stage < 5 ? stop_stage : 5))
  for k in $(seq 1 "$folds"); do
    current="$first-$last"; log "fold $k/$folds: stages $first-$last on $datadir/fold$k/ -> $expdir/<system>/fold${k}_seed<s>/"
    AECOMP_RUN_COMMAND=$full_command "$0" ${all_args[@]+"${all_args[@]}"} --folds 0 --datadir "$datadir/fold$k" \
      --run_prefix "fold${k}_" --stage "$first" --stop_stage "$last" --check_config false
  done
fi

if run_stage 2; then
  log "validating data directories and audio"
  bank_dirs=(); for d in "$datadir"/noise_* "$datadir"/rirs_*; do [ -d "$d" ] && bank_dirs+=("$d"); done  # none: no noise, no rooms
  aecomp validate --sample_rate "$sample_rate" "$datadir"/{train,dev,test} "${bank_dirs[@]}"
  record_stage 2 "$datadir" --sample_rate "$sample_rate"
fi

if run_stage 3; then
  log "evaluation sets of $eval_config -> $datadir/eval/ (sets already there are kept)"
  made="$datadir/eval/.made"; mkdir -p "$datadir/eval"
  status=0
  aecomp make-evalsets --config "$eval_config" --test "$datadir/test" --data_dir "$datadir" \
    --sample_rate "$sample_rate" --nj "$nj" --out_dir "$datadir/eval" > "$made" || status=$?
  # each set records the run that made it: a later grid (--eval_config conf/eval_codecs.yaml) adds its
  # own sets and records without touching the records of the sets it keeps
  while IFS= read -r d; do
    record_stage 3 "$d" --eval_config "$eval_config" --sample_rate "$sample_rate"
  done < "$made"
  rm -f "$made"
  [ "$status" -eq 0 ] || exit "$status"
fi

if run_stage 4; then
  # one job list for every run: a run starts as soon as the runs it starts from (the init section of
  # its config, same seed) are trained and a slot is free. The list is in levels (runs that start from
  # nothing, then those that start from them, ...), and within a level the runs others start from go first.
  noise_opt=""; [ -d "$datadir/noise_train" ] && noise_opt="--noise $datadir/noise_train"  # none: the task mixes no noise
  # training clips a codec corruption decodes are shared by the systems trained on them (and by reruns)
  export AECOMP_CODEC_CACHE=${AECOMP_CODEC_CACHE:-$(realpath -m "$datadir/codec_cache")}
  jobs="$expdir/log/${run_prefix}train.jobs"; after="$expdir/log/${run_prefix}train.after"
  : > "$jobs"; : > "$after"; untrained=(); order=""
  declare -A job_of=()  # job_of["system seed"]: its line in $jobs
  pending=" $systems "; n=0
  # deps_of: read (and checked) at stage 0, which runs whenever stage 4 does
  while [ -n "${pending// /}" ]; do
    ready=""
    for system in $pending; do
      ok=true
      for d in ${deps_of[$system]}; do
        case "$pending" in *" $d "*) ok=false ;; esac  # not listed yet (absent: trained earlier)
      done
      $ok && ready+="$system "
    done
    [ -n "$ready" ] || { echo "$0: the init sections of$pending form a cycle" >&2; exit 1; }
    gating=""; rest=""
    for system in $ready; do
      waited=false
      for other in $pending; do case " ${deps_of[$other]} " in *" $system "*) waited=true ;; esac; done
      if $waited; then gating+="$system "; else rest+="$system "; fi
    done
    for system in $gating$rest; do
      listed=""
      for d in ${deps_of[$system]}; do [ -z "${job_of["$d ${seeds%% *}"]:-}" ] || listed+="$d,"; done
      order+="$system${listed:+ (after ${listed%,})}, "
      for seed in $seeds; do
        n=$((n + 1)); job_of["$system $seed"]=$n; waits=""
        for d in ${deps_of[$system]}; do waits+="${job_of["$d $seed"]:-} "; done  # none: trained earlier
        run="$expdir/$system/${run_prefix}seed$seed"
        [ -f "$run/model.pt" ] || untrained+=("$run")  # trained now
        echo "aecomp train --config $conf_dir/train_${system}.yaml --override 'trainer.seed=${seed} ${train_args}'" \
          "--train_data $datadir/train --valid_data $datadir/dev $noise_opt" \
          "--out_dir $run --ngpu $ngpu" >> "$jobs"
        echo "${waits% }" | sed 's/  */ /g; s/^ //' >> "$after"
      done
      pending=${pending/ $system / }
    done
  done
  log "training $n run(s), each once the runs it starts from are trained: ${order%, } (seeds $seeds)" \
    "-> $expdir/<system>/${run_prefix}seed<k>/, logs $expdir/log/${run_prefix}train.<k>.log (the k-th line of $jobs)"
  status=0
  ${train_cmd} --gpu "$ngpu" --max_jobs_run "$train_nj" --after "$after" JOB=1:"$n" \
    "$expdir/log/${run_prefix}train.JOB.log" run_line.sh "$jobs" JOB || status=$?
  [ "${#untrained[@]}" -eq "$n" ] || log "training: $((n - ${#untrained[@]})) of $n run(s) already trained: kept"
  for d in "${untrained[@]}"; do  # the runs trained now, also when another failed (a rerun keeps them)
    [ -f "$d/model.pt" ] || continue
    record_stage 4 "$d" --conf_dir "$conf_dir" --train_args "$train_args" --ngpu "$ngpu" --seeds "$seeds"
  done
  [ "$status" -eq 0 ] || exit "$status"
fi

if run_stage 5; then
  jobs="$expdir/log/${run_prefix}eval.jobs"; : > "$jobs"
  example_opts=""; read -ra example_pats <<< "$example_sets"  # read: patterns are not globbed here
  if [ "$keep_examples" -gt 0 ] && [ ${#example_pats[@]} -gt 0 ]; then
    example_opts=" --keep_examples $keep_examples --example_sets $(quote_args "${example_pats[@]}")"
  fi
  eval_runs=()  # run folders (not $runs, the run names of every stage)
  for system in $systems; do for seed in $seeds; do eval_runs+=("$expdir/$system/${run_prefix}seed$seed"); done; done
  # the longest jobs first (by each run's validation time in training): none then runs alone at the end
  mapfile -t eval_runs < <(longest_first.py "${eval_runs[@]}")
  for run in "${eval_runs[@]}"; do
    echo "aecomp evaluate --model_dir $run --data $datadir/eval/*$example_opts $eval_args" >> "$jobs"
    # the weights a config keeps after some epochs (trainer.keep_epochs) are scored too, into eval_epoch<N>/
    for ckpt in "$run"/epochs/epoch*.pt; do
      [ -f "$ckpt" ] || continue
      ep=${ckpt##*/epoch}; ep=${ep%.pt}
      echo "aecomp evaluate --model_dir $run --data $datadir/eval/* --checkpoint $ep $eval_args" >> "$jobs"
    done
  done
  n=$(wc -l < "$jobs")
  log "evaluating $n system(s) on $(ls -d "$datadir"/eval/* | wc -l) sets -> $expdir/<system>/${run_prefix}seed<k>/eval/"
  ${decode_cmd} --max_jobs_run "$nj" JOB=1:"$n" "$expdir/log/${run_prefix}eval.JOB.log" run_line.sh "$jobs" JOB
  kept=$(cat "$expdir/log/${run_prefix}eval."*.log | grep -c "already scored" || true)
  [ "$kept" -eq 0 ] || log "evaluation: $kept set score(s) kept (already scored with the current models)"
  for system in $systems; do
    for seed in $seeds; do record_stage 5 "$expdir/$system/${run_prefix}seed$seed/eval" --eval_args "$eval_args"; done
  done
fi

if run_stage 6; then
  log "report -> $results, $expdir/results.csv, $expdir/results_<family>.png, $expdir/index.html"
  aecomp report --exp_dir "$expdir" --out "$results" --title "$title" --systems "$systems" \
    --data_dir "$datadir" --command "$full_command"
fi
log "done"
