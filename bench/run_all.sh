#!/usr/bin/env bash
# Run every benchmark and write bench/RESULTS.md: commit (and whether the tree had uncommitted
# changes), date, machine, and every figure with its target. A benchmark's figures are the
# `name: value` lines that end its output. About 10 minutes on a 2-core machine; run it on an
# otherwise idle machine: the figures are ratios or medians taken in one run, but other load
# still skews them.
#   bench/run_all.sh                  # writes bench/RESULTS.md
#   bench/run_all.sh --quick --out /tmp/RESULTS.md   # shrunk sizes: checks the script, not the targets
#   bench/run_all.sh --only "startup padding" --out /tmp/RESULTS.md   # some of them
set -euo pipefail
cd "$(dirname "$0")"
benches=(startup padding trainer_overhead data_pipeline paradigm_cost ssl_cache vs_espnet memory codec_speed signal_metrics)
quick=false; out=RESULTS.md
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true; shift ;;
    --out) out=$2; shift 2 ;;
    --only) read -ra benches <<< "$2"; shift 2 ;;
    *) echo "$0: unknown argument '$1' (options: --quick, --out FILE, --only \"NAME ...\")" >&2; exit 1 ;;
  esac
done
py=../tools/venv/bin/python
# benchmarks that are another one's script with options: name -> "script.py options"
declare -A variants=([vs_espnet_sep]="vs_espnet.py --task sep"
  [recipe_scr1]="recipe_time.py egs/speech_commands/scr1" [recipe_asr1]="recipe_time.py egs/librispeech/asr1 --budget_minutes 30"
  [recipe_ser1]="recipe_time.py egs/iemocap/ser1" [recipe_asc1]="recipe_time.py egs/dcase2020/asc1"
  [recipe_enh1]="recipe_time.py egs/wham/enh1")
for b in "${benches[@]}"; do
  read -ra cmd <<< "${variants[$b]:-$b.py}"
  [ -f "${cmd[0]}" ] || { echo "$0: no benchmark bench/${cmd[0]}" >&2; exit 1; }
done
declare -A quick_args=([startup]="--repeats 1"
  [trainer_overhead]="--utts 96 --epochs 1 --repeats 1" [ssl_cache]="--steps 2 --batch 4 --distinct_batches 2"
  [vs_espnet]="--utts 32 --epochs 1 --repeats 1" [memory]="-- $py -c pass" [codec_speed]="--clips 2")
# figure -> "target|what it is"; the target is "< x", "<= x", "> x", ">= x" or "report"
declare -A about=(
  [aecomp_list_seconds]="< 1|aecomp list wall time, s (median of 10)"
  [espnet_asr_components_task_seconds]="report|a process building ESPnet's ASR components through espnet2.tasks.asr's tables, s"
  [espnet_asr_components_direct_seconds]="report|the same through aecomp.espnet_components (their modules alone), s"
  [espnet_task_over_direct_build_time]="> 1|the first over the second (every ASR training and evaluation process pays it)"
  [bucketed_padding_efficiency]=">= 0.9|real / padded samples of the length-bucketed sampler"
  [trainer_vs_bare_steps_per_second_premixed]=">= 0.95|trainer / bare PyTorch loop steps per second, pre-mixed batches"
  [trainer_vs_bare_steps_per_second_mixed]=">= 0.95|trainer / bare PyTorch loop steps per second, noise mixed on the fly (the recipes' path)"
  [loader_wait_share_recipe_default]="<= 0.05|loader wait as a share of step time, recipe default"
  [iterative_over_joint_epoch_time]="< 1.3|time per epoch of iterative over joint"
  [ssl_cache_speedup]="> 1|SSL loss step time without / with the clean-feature cache"
  [espnet_over_aecomp_epoch_time]=">= 1|ESPnet / aecomp training-epoch time (validation left out), same model and data"
  [espnet_over_aecomp_wall_time]=">= 1|ESPnet / aecomp whole-process wall time, same model and data"
  [espnet_seconds_per_epoch]="report|ESPnet enh_train: training seconds per epoch (median over repeats)"
  [aecomp_seconds_per_epoch]="report|aecomp train: training seconds per epoch (median over repeats)"
  [espnet_final_valid_si_snr_db]="report|ESPnet enh_train: final validation SI-SNR, dB"
  [aecomp_final_valid_si_snr_db]="report|aecomp train: final validation SI-SNR, dB"
  [sep_espnet_seconds_per_epoch]="report|two-talker separation, ESPnet enh_train: training seconds per epoch"
  [sep_aecomp_seconds_per_epoch]="report|two-talker separation, aecomp train: training seconds per epoch"
  [sep_espnet_final_valid_si_snr_db]="report|two-talker separation, ESPnet enh_train: final validation SI-SNRi, dB"
  [sep_aecomp_final_valid_si_snr_db]="report|two-talker separation, aecomp train: final validation SI-SNRi, dB"
  [sep_espnet_over_aecomp_epoch_time]=">= 1|the same, two-talker separation (vs_espnet.py --task sep)"
  [sep_espnet_over_aecomp_wall_time]=">= 1|the same, two-talker separation, whole process"
  [recipe_wall_minutes]="report|the recipe's ./run.sh from a fresh clone of HEAD (defaults; installation not counted), minutes"
  [recipe_peak_rss_mib]="report|its peak resident memory, summed over the process tree, MiB"
  [recipe_over_budget]="<= 1|its wall time / the issues' budget (--budget_minutes: 15 min, LibriSpeech 30)"
  [peak_rss_mib]="report|peak resident memory of a Speech Commands recipe run, MiB"
  [codec_pyav_x_realtime_per_core]="report|codec corruption in-process (PyAV), x real time per core, median over codecs"
  [codec_ffmpeg_x_realtime_per_core]="report|codec corruption through ffmpeg subprocesses, x real time per core"
  [codec_cache_x_realtime_per_core]="report|reading a cached decoded copy, x real time per core"
  [codec_pyav_over_ffmpeg_speed]="> 1|in-process (PyAV) / ffmpeg-subprocess codec speed"
  [sdr_levinson_speedup]="> 1|signal_metrics time with a general solver / with Levinson's recursion (SDR's Toeplitz systems)"
  [signal_metrics_ms_per_audio_second]="report|signal_metrics (SI-SNR(i), SDR(i)) per second of audio, ms, one thread")

commit=$(git rev-parse HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] || commit+=" (with uncommitted changes)"
rows=(); start=$SECONDS
for b in "${benches[@]}"; do
  read -ra cmd <<< "${variants[$b]:-$b.py}"; py_file=${cmd[0]}; args=("${cmd[@]:1}")  # the script, its options
  t0=$SECONDS; log=$(mktemp); run_args=("${args[@]}")
  if $quick && [ -n "${quick_args[${py_file%.py}]:-}" ]; then
    read -ra shrunk <<< "${quick_args[${py_file%.py}]}"; run_args+=("${shrunk[@]}")
  fi
  echo "=== bench/$py_file ${run_args[*]}"
  $py "$py_file" "${run_args[@]}" 2>"$log.err" | tee "$log" || { echo "bench/$py_file failed:"; tail -20 "$log.err"; exit 1; }
  figures=$(tac "$log" | awk '/^[a-z0-9_]+: -?[0-9.]+$/ {print; next} {exit}' | tac)
  [ -n "$figures" ] || { echo "bench/$py_file printed no 'name: value' figure at its end" >&2; exit 1; }
  while read -r name value; do
    name=${name%:}
    [ -n "${about[$name]:-}" ] || { echo "$0: figure '$name' of bench/$py_file has no target here (about[])" >&2; exit 1; }
    target=${about[$name]%%|*}
    if [ "$target" = report ]; then verdict=""; else
      verdict=$(awk -v v="$value" -v t="$target" 'BEGIN { split(t, a, " "); op = a[1]; x = a[2] + 0; v += 0
        ok = (op == "<" && v < x) || (op == "<=" && v <= x) || (op == ">" && v > x) || (op == ">=" && v >= x)
        print ok ? " ✔" : " ✘" }')
    fi
    rows+=("| \`$py_file${args[*]:+ ${args[*]}}\` | ${about[$name]#*|} | \`$name\` | $value | $target$verdict | $((SECONDS - t0)) s |")
  done <<< "$figures"
  rm -f "$log" "$log.err"
done

cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
torch=$($py -c 'import torch; print(torch.__version__, "with", torch.get_num_threads(), "CPU threads")')
{
  echo "# Benchmark figures"
  echo
  echo "Written by \`bench/run_all.sh$($quick && echo ' --quick')\` (benchmarks: ${benches[*]}); do not edit by hand."
  echo
  ! $quick || { echo "**Quick mode: sizes shrunk to check the scripts; these figures do not stand for the targets.**"; echo; }
  echo "- commit: $commit"
  echo "- date: $(date -u '+%F %T UTC'); all benchmarks in $((SECONDS - start)) s"
  echo "- machine: ${cpu:-unknown CPU}, $(nproc) cores, $mem memory, torch $torch"
  echo "- load average at the end (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| benchmark | what | figure | value | target | benchmark time |"
  echo "|---|---|---|---:|---|---:|"
  printf '%s\n' "${rows[@]}"
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "=== figures written to $([[ $out == /* ]] || echo bench/)$out"
cat "$out"
