#!/usr/bin/env bash
# Run every recipe (on the built-in mini corpus unless the corpus variables of db.sh are set)
# and gather their result tables into results/RESULTS.md.
# Options are passed to every recipe's run.sh, e.g.  ./run_all.sh --seeds "1 2 3"
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
recipes=(egs/speech_commands/scr1 egs/librispeech/asr1)
. "$root/egs/TEMPLATE/utils/quote_args.sh"

mkdir -p "$root/results"
summary="$root/results/RESULTS.md"
start=$SECONDS
{
  echo "# aecomp: results of every recipe"
  echo
  echo "Produced by \`$(quote_args ./run_all.sh "$@")\` on $(date '+%F')."
} > "$summary.tmp"
for recipe in "${recipes[@]}"; do
  echo "=== $recipe"
  t0=$SECONDS
  (cd "$root/$recipe" && ./run.sh "$@")
  name=${recipe//\//_}
  for png in "$root/$recipe"/exp/results_*.png; do cp "$png" "$root/results/${name}_${png##*/}"; done  # one per family
  {
    echo; echo "---"; echo
    echo "Recipe \`$recipe\` ($((SECONDS - t0)) s): [full table]($root/$recipe/RESULTS.md)"
    echo
    sed -e '1s/^# /## /' -e "s#!\[\(.*\)\](exp/\(results_[^)]*\.png\))#![\1](${name}_\2)#" "$root/$recipe/RESULTS.md"
  } >> "$summary.tmp"
done
mv "$summary.tmp" "$summary"
echo "=== all recipes done in $((SECONDS - start)) s; tables gathered in $summary"
