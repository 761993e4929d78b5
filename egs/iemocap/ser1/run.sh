#!/usr/bin/env bash
# Speech emotion recognition (IEMOCAP, 4 classes) in noise: TRNet (seed 002) against the paradigms of
# seed 000, trained with ESC-50 noise and evaluated at clean, 20 ... -5 dB in matched (ESC-50) and
# unmatched (MUSAN) noise; UA and WA.
#
#   ./run.sh                      # ESPnet's split (= leave-one-session-out fold 5), on the mini corpus unless IEMOCAP is set
#   ./run.sh --folds 5            # leave-one-session-out, 5 folds (mean +- std over folds)
#   ./run.sh --systems "clean cascade trnet trnet_no_low trnet_no_high trnet_no_blend trnet_no_film"  # + TRNet's ablations
#   ./run.sh --systems "clean noisy cascade joint iterative trnet cascade_ssl"  # + seed 001's SSL loss and recogniser
#   ./run.sh --stage 4 --systems "trnet" --seeds "1 2 3"
#   ./run.sh --help
set -euo pipefail
. ../../TEMPLATE/utils/quote_args.sh
export AECOMP_RUN_COMMAND="cd egs/iemocap/ser1 && $(quote_args ./run.sh "$@")"

# Sized for 15 minutes on a 2-core CPU: two trainings at a time (joint, iterative and trnet are independent),
# no PESQ/STOI (tens of ms per second of audio for every system and set; SI-SNR and SDR are kept):
# --eval_args "--pesq_stoi false --pesq_stoi_sets '*_0dB'" adds them at 0 dB.
exec ../../TEMPLATE/aecomp.sh \
  --systems "clean noisy cascade joint iterative trnet" \
  --title "Speech emotion recognition: UA / WA across SNRs" \
  --example_sets "matched_0dB unmatched_0dB" \
  --train_nj 2 \
  --eval_args "--pesq_stoi false" \
  "$@"
