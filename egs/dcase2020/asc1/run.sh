#!/usr/bin/env bash
# Acoustic scene classification (DCASE2020 Task 1A, TAU Urban Acoustic Scenes 2020 Mobile) under coding
# artefacts: seed 004's pre-trained FCNN, full fine-tuning on clean + coded audio (accuracy after each kept
# epoch), segmental fine-tuning (one of its ten segments at a time) and retraining, scored per codec category
# (conf/eval.yaml); and seed 000's paradigms with additive noise on the same classifier.
#
#   ./run.sh                                       # everything, on the built-in mini corpus unless DCASE2020 is set
#   ./run.sh --stage 4 --systems "pretrained finetune segment7" --seeds "1 2 3"
#   ./run.sh --help
set -euo pipefail
. ../../TEMPLATE/utils/quote_args.sh
export AECOMP_RUN_COMMAND="cd egs/dcase2020/asc1 && $(quote_args ./run.sh "$@")"

exec ../../TEMPLATE/aecomp.sh \
  --systems "pretrained finetune $(echo segment{1..10}) retrain noisy cascade joint iterative" \
  --title "Acoustic scene classification: accuracy under coding artefacts and noise" \
  --example_sets "cat2_mp3_32kbps unseen_0dB" \
  --train_nj 2 \
  --eval_args "--pesq_stoi false" \
  "$@"
