#!/usr/bin/env bash
# Stage 1 of the LibriSpeech recipe: data/{train,dev,test} (transcripts in text) and the noise bank.
# Real corpus when LIBRISPEECH is set (noise: MUSAN and/or ESC-50; without either, the mini
# corpus's synthetic noise bank, with a warning); otherwise the built-in mini corpus's sentences.
set -euo pipefail

# -- options --
datadir=data                    # output folder
nj=2                            # parallel workers
train_sets=train-clean-100      # LibriSpeech subsets for training (space-separated)
dev_sets=dev-clean              # ... for validation
test_sets=test-clean            # ... for the evaluation sets
mini_size=default               # size of the mini corpus: default or debug
# -- end of options --
. ../../TEMPLATE/utils/parse_options.sh
. ./path.sh
. ./db.sh

yaml_list() { printf '[%s]' "$(echo "$1" | sed 's/ \+/, /g')"; }
if [ -n "$LIBRISPEECH" ]; then
  aecomp prepare librispeech --corpus_dir "$LIBRISPEECH" --out_dir "$datadir" \
    --opt train="$(yaml_list "$train_sets")" --opt dev="$(yaml_list "$dev_sets")" --opt test="$(yaml_list "$test_sets")"
  if [ -n "$MUSAN$ESC50" ]; then
    noise_opts=()
    [ -n "$MUSAN" ] && noise_opts+=(--opt musan="$MUSAN")
    [ -n "$ESC50" ] && noise_opts+=(--opt esc50="$ESC50")
    aecomp prepare noise --out_dir "$datadir" "${noise_opts[@]}"
  else
    echo "WARNING: neither MUSAN nor ESC50 is set: using the mini corpus's synthetic noise bank" >&2
    aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir" --opt task=noise --opt size="$mini_size"
  fi
  # rooms for the reverb condition: simulated, as Kaldi's RIRS_NOISES/simulated_rirs (data/rirs_{train,test})
  aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir" --opt task=rirs --opt nj="$nj"
else
  echo "LIBRISPEECH is not set: using the built-in mini corpus in $AECOMP_MINI"
  aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir" --opt task=asr --opt size="$mini_size" --opt nj="$nj"
fi
