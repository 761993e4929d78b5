#!/usr/bin/env bash
# Run every benchmark and print the table of figures (each benchmark's last line, name: value).
# About 10 minutes on a 2-core machine. Run on an otherwise idle machine: the figures are
# ratios or medians taken in one run, but other load still skews them.
#   bench/run_all.sh
set -euo pipefail
cd "$(dirname "$0")"
py=../tools/venv/bin/python
benches=(startup padding trainer_overhead data_pipeline paradigm_cost ssl_cache vs_espnet memory)
declare -A figure
for b in "${benches[@]}"; do
  echo "=== bench/$b.py"
  start=$SECONDS
  log=$(mktemp)
  $py "$b.py" 2>"$log.err" | tee "$log" || { echo "bench/$b.py failed:"; tail -20 "$log.err"; exit 1; }
  figure[$b]="$(tail -1 "$log") ($((SECONDS - start)) s)"
  rm -f "$log" "$log.err"
done
echo
echo "| benchmark | figure |"
echo "|---|---|"
for b in "${benches[@]}"; do echo "| $b | ${figure[$b]} |"; done
