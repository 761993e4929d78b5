#!/usr/bin/env bash
# Stage 1 of the IEMOCAP recipe: data/{train,dev,test} (or data/fold<k>/ with --folds K) and the noise banks
# (noise_train and noise_test_seen from ESC-50: training and the matched condition, folds 1-4 and 5;
# noise_test_unseen from MUSAN's noise: the unmatched condition). Real corpora when IEMOCAP (and ESC50,
# MUSAN) are set; otherwise the built-in mini corpus (emotional speech in the IEMOCAP layout, stand-ins
# of ESC-50 and MUSAN).
set -euo pipefail

# -- options --
datadir=data          # output folder
nj=2                  # parallel workers
split=espnet          # espnet: Ses01-03 + Ses04F train, Ses04M dev, Ses05 test (= fold 5); loso needs --folds
folds=0               # K > 0: leave-one-session-out folds 1..K (test Session k, dev the previous session's M speaker)
mini_size=default     # size of the mini corpus: default or debug
# -- end of options --
. ../../TEMPLATE/utils/parse_options.sh
. ./path.sh
. ./db.sh

case "$split" in
  espnet) [ "$folds" -eq 0 ] || split=loso ;;
  loso) [ "$folds" -gt 0 ] || { echo "$0: --split loso writes folds: give --folds K (1-5; run.sh --folds K)" >&2; exit 1; } ;;
  *) echo "$0: --split must be espnet or loso, got '$split'" >&2; exit 1 ;;
esac
if [ -n "$IEMOCAP" ]; then
  { [ -n "$ESC50" ] && [ -n "$MUSAN" ]; } || {
    echo "$0: IEMOCAP is set: set ESC50 (ESC-50-master, training and matched noise) and MUSAN (musan," \
      "unmatched noise) too" >&2; exit 1; }
else
  echo "IEMOCAP is not set: using the built-in mini corpus in $AECOMP_MINI"
  aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir" --opt task=ser --opt size="$mini_size" \
    --opt nj="$nj"
  IEMOCAP=$AECOMP_MINI/ser/IEMOCAP_full_release ESC50=$AECOMP_MINI/ser/ESC-50-master MUSAN=$AECOMP_MINI/ser/musan
fi
aecomp prepare iemocap --corpus_dir "$IEMOCAP" --out_dir "$datadir" --opt split="$split" --opt folds="$folds"
# TRNet's noise: every ESC-50 class in training (folds 1-4) and in the matched test (fold 5); MUSAN for test only
noise_opts=(--opt esc50="$ESC50" --opt musan="$MUSAN" --opt "esc50_unseen_groups=[]" --opt musan_test_fraction=1.0)
if [ "$folds" -eq 0 ]; then
  aecomp prepare noise --out_dir "$datadir" "${noise_opts[@]}"
else
  for k in $(seq 1 "$folds"); do aecomp prepare noise --out_dir "$datadir/fold$k" "${noise_opts[@]}"; done
fi
