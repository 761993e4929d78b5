#!/usr/bin/env bash
# Run every recipe (on the built-in mini corpus unless the corpus variables of db.sh are set),
# gather their result tables into results/RESULTS.md and one results page, results/index.html
# (a summary table, then every recipe's tables, plots and listening examples; the files it links
# are copied under results/<recipe>/).
# Options are passed to every recipe's run.sh, e.g.  ./run_all.sh --seeds "1 2 3"
#
# Progress: a line per recipe and stage with the time it took and the time expected, from
# results/stage_times.tsv (recipe, stage, seconds, options, date, commit), the stage times measured
# by the previous run (the one with the same options where there is one); each run updates it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The recipes, in the order they run and appear; a new recipe is one more line.
recipes=(
  egs/speech_commands/scr1
  egs/librispeech/asr1
  egs/iemocap/ser1
  egs/dcase2020/asc1
  egs/wham/enh1
)
. "$root/egs/TEMPLATE/utils/quote_args.sh"

mkdir -p "$root/results"
summary="$root/results/RESULTS.md"
times="$root/results/stage_times.tsv"
options=$(quote_args "$@")
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
start=$SECONDS
expdir=exp results=RESULTS.md  # where each recipe puts them: its defaults, or the options given
args=("$@")
for ((k = 0; k + 1 < ${#args[@]}; k++)); do
  case ${args[$k]} in --expdir) expdir=${args[$((k + 1))]} ;; --results) results=${args[$((k + 1))]} ;; esac
done
stage_names=(check data validate evalsets train evaluate report)
stage_label() { case $1 in *-*) echo "stages $1, per fold" ;; *) echo "stage $1 (${stage_names[$1]:-?})" ;; esac; }
: > "$times.run"

mmss() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
# expected RECIPE STAGE: "<seconds>\t<where the number comes from>" from the previous run's record, or nothing
expected() {
  [ -f "$times" ] || return 0
  awk -F'\t' -v r="$1" -v s="$2" -v o="$options" '
    $1 == r && $2 == s { if ($4 == o) same = $3 "\t" "previous run with the same options, " $5; else other = $3 "\t" "a previous run with other options (" $4 "), " $5 }
    END { if (same != "") print same; else if (other != "") print other }' "$times"
}
say_expected() {  # say_expected SECONDS SOURCE
  if [ -n "$1" ]; then echo "expected $(mmss "$1") ($2)"; else echo "expected: no record yet"; fi
}
# progress RECIPE: copy run.sh's output, with a progress line whenever a stage starts and ends
progress() {
  local recipe=$1 stage="" t_stage=$SECONDS t0=$SECONDS line n kept=false
  finish() {
    local took=$((SECONDS - t_stage)) e note=""
    e=$(expected "$recipe" "$stage")
    # a stage that kept finished work (a rerun) took less than it would: its time is not a record
    $kept && note=" (kept finished work: not recorded)"
    echo "[run_all] $recipe $(stage_label "$stage") done in $(mmss $took)$note;" \
      "$(say_expected "${e%%$'\t'*}" "${e#*$'\t'}"); recipe at $(mmss $((SECONDS - t0))), all at $(mmss $((SECONDS - start)))"
    $kept || printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$recipe" "$stage" "$took" "$options" "$(date '+%F')" "$commit" >> "$times.run"
  }
  while IFS= read -r line; do
    printf '%s\n' "$line"
    if [[ $line =~ \(aecomp\.sh\ stage\ ([0-9][0-9-]*)\) ]] && [ "${BASH_REMATCH[1]}" != "$stage" ]; then
      n=${BASH_REMATCH[1]}
      [ -z "$stage" ] || finish
      stage=$n; t_stage=$SECONDS; kept=false
      e=$(expected "$recipe" "$stage")
      echo "[run_all] $recipe $(stage_label "$stage") started at $(mmss $((SECONDS - t0)));" \
        "$(say_expected "${e%%$'\t'*}" "${e#*$'\t'}")"
    fi
    [[ $line =~ already\ (prepared|trained|scored)|exists\;\ kept|every\ system\ is\ trained ]] && kept=true
  done
  [ -z "$stage" ] || finish
}

{
  echo "# aecomp: results of every recipe"
  echo
  echo "Produced by \`$(quote_args ./run_all.sh "$@")\` on $(date '+%F') (commit $commit);" \
    "the same as a page with listening examples: [index.html](index.html)."
} > "$summary.head"
: > "$summary.body"
# recipe_expected RECIPE: the sum of its stages' records (empty without any)
recipe_expected() {
  for s in 0 1 2 3 4 5 6; do e=$(expected "$1" $s); [ -z "$e" ] || echo "${e%%$'\t'*}"; done | awk '{ t += $1 } END { if (NR) print t }'
}
all=$(for r in "${recipes[@]}"; do recipe_expected "$r"; done | awk '{ t += $1 } END { if (NR) print t }')
echo "=== run_all: ${#recipes[@]} recipes; $(say_expected "$all" "the sum of the stage records in $times")"
names=()
for i in "${!recipes[@]}"; do
  recipe=${recipes[$i]}
  whole=$(recipe_expected "$recipe")
  echo "=== $recipe ($((i + 1))/${#recipes[@]}): $(say_expected "$whole" "the sum of its stages' records")"
  t0=$SECONDS
  (cd "$root/$recipe" && ./run.sh "$@" 2>&1) | progress "$recipe"
  name=${recipe#egs/}; name=${name//\//_}
  exp=$(cd "$root/$recipe" && cd "$expdir" && pwd) md=$(cd "$root/$recipe" && realpath "$results")
  names+=("$name=$exp")
  for png in "$exp"/results_*.png; do  # one per family; none where no set varies (WHAM!: one test set)
    [ -f "$png" ] || continue
    cp "$png" "$root/results/${name}_${png##*/}"
  done
  {
    echo; echo "---"; echo
    echo "Recipe \`$recipe\` ($((SECONDS - t0)) s): [full table]($md)"
    echo
    sed -e '1s/^# /## /' -e "s#!\[\(.*\)\]([^)]*/\(results_[^)]*\.png\))#![\1](${name}_\2)#" "$md"
  } >> "$summary.body"
done
# this run's stage times (summed over the folds of a stage) replace the records of the same recipe, stage and options
awk -F'\t' -v OFS='\t' '{ k = $1 FS $2 FS $4; if (!(k in t)) order[++n] = k; t[k] += $3; line[k] = $0 }
  END { for (i = 1; i <= n; i++) { split(line[order[i]], f, FS); print f[1], f[2], t[order[i]], f[4], f[5], f[6] } }' \
  "$times.run" > "$times.sum"
[ -f "$times" ] || : > "$times"
awk -F'\t' 'NR == FNR { run[$1 FS $2 FS $4] = 1; next } !(($1 FS $2 FS $4) in run)' "$times.sum" "$times" > "$times.tmp"
cat "$times.sum" >> "$times.tmp" && mv "$times.tmp" "$times" && rm -f "$times.run" "$times.sum"
table=$(. "$root/egs/TEMPLATE/path.sh" && aecomp summary --out_dir "$root/results" --command "$(quote_args ./run_all.sh "$@")" \
  --recipe "${names[@]}")
{ cat "$summary.head"; echo; echo "## Summary"; echo; echo "$table"; cat "$summary.body"; } > "$summary.tmp"
mv "$summary.tmp" "$summary" && rm -f "$summary.head" "$summary.body"
echo "=== all recipes done in $(mmss $((SECONDS - start))); tables gathered in $summary," \
  "the results page in $root/results/index.html; stage times in $times"
