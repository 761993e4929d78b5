#!/usr/bin/env bash
# Speech command recognition (Speech Commands v0.02) with enhancement front-ends trained
# for the recogniser: every paradigm of seed 000 (iterative training with sample importance)
# evaluated at clean, 20 ... -5 dB in seen and unseen noise.
#
#   ./run.sh                      # everything, on the built-in mini corpus unless SPEECH_COMMANDS is set
#   ./run.sh --stage 4 --systems "iterative" --seeds "1 2 3"
#   ./run.sh --systems "noisy cascade cascade_ssl"   # + the SSL representation loss (seed 001)
#   ./run.sh --eval_config conf/eval_codecs.yaml      # + MP3, AAC, Opus and noise+Opus sets (noise grid kept)
#   ./run.sh --help
set -euo pipefail
. ../../TEMPLATE/utils/quote_args.sh
export AECOMP_RUN_COMMAND="cd egs/speech_commands/scr1 && $(quote_args ./run.sh "$@")"

# Sized for a 2-core CPU: two trainings at a time (clean and noisy first; the front-end systems start once
# noisy is trained, joint and iterative once cascade is), one thread each; PESQ and
# STOI only at 0 dB (tens of ms per second of audio, for every system and set; SI-SNR and SDR are kept
# everywhere): --eval_args "" computes them on every set, --train_nj 1 trains one system at a time.
exec ../../TEMPLATE/aecomp.sh \
  --systems "clean noisy dsp cascade cascade_rnnoise joint iterative" \
  --title "Speech command recognition: accuracy across SNRs" \
  --train_nj 2 \
  --eval_args "--pesq_stoi false --pesq_stoi_sets seen_0dB unseen_0dB" \
  "$@"
