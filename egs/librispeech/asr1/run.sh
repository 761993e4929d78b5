#!/usr/bin/env bash
# Speech recognition (LibriSpeech) on ESPnet's ASR model with enhancement front-ends trained for it:
# the paradigms of seed 000 (clean, noisy, cascade, joint, iterative with per-utterance importance
# from the ASR loss), WER at clean, 20 ... -5 dB in seen and unseen noise.
#
#   ./run.sh                              # everything, on the mini corpus unless LIBRISPEECH is set
#   LIBRISPEECH=/data/LibriSpeech MUSAN=/data/musan ./run.sh --nj 8 --ngpu 1 \
#       --data_args "--train_sets 'train-clean-100 train-clean-360'"
#   ./run.sh --systems "noisy cascade cascade_ssl"   # + the SSL representation loss (seed 001)
#   ./run.sh --help
set -euo pipefail
. ../../TEMPLATE/utils/quote_args.sh
export AECOMP_RUN_COMMAND="cd egs/librispeech/asr1 && $(quote_args ./run.sh "$@")"

# Sized for a 2-core CPU: two trainings at a time (clean and noisy first; cascade and cascade_rnnoise once
# noisy is trained, joint and iterative once cascade is), one thread each (--train_nj 1: one at a time, on
# every core). PESQ and
# STOI only at 0 dB (about 26 ms per second of audio on a CPU, for every system and set): the
# front-ends' PESQ/STOI tables compare them there; --eval_args "" computes them everywhere.
exec ../../TEMPLATE/aecomp.sh \
  --systems "clean noisy cascade cascade_rnnoise joint iterative" \
  --title "Speech recognition: WER across SNRs" \
  --train_nj 2 \
  --eval_args "--pesq_stoi false --pesq_stoi_sets seen_0dB unseen_0dB" \
  "$@"
