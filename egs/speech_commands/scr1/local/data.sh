#!/usr/bin/env bash
# Stage 1 of the Speech Commands recipe: data/{train,dev,test} and the noise bank.
# Real corpus when SPEECH_COMMANDS is set (noise: its _background_noise_, plus MUSAN
# and ESC-50 when set); otherwise the built-in mini corpus.
set -euo pipefail

# -- options --
datadir=data          # output folder
nj=2                  # parallel workers
task=35               # 35 (all words) or 12 (10 words + unknown + silence)
mini_size=default     # size of the mini corpus: default or debug
# -- end of options --
. ../../TEMPLATE/utils/parse_options.sh
. ./path.sh
. ./db.sh

if [ -n "$SPEECH_COMMANDS" ]; then
  aecomp prepare speech_commands --corpus_dir "$SPEECH_COMMANDS" --out_dir "$datadir" --opt task="$task"
  noise_opts=(--opt speech_commands="$SPEECH_COMMANDS")
  [ -n "$MUSAN" ] && noise_opts+=(--opt musan="$MUSAN")
  [ -n "$ESC50" ] && noise_opts+=(--opt esc50="$ESC50")
  aecomp prepare noise --out_dir "$datadir" "${noise_opts[@]}"
  # rooms for the reverb condition: simulated, as Kaldi's RIRS_NOISES/simulated_rirs (data/rirs_{train,test})
  aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir" --opt task=rirs --opt nj="$nj"
else
  echo "SPEECH_COMMANDS is not set: using the built-in mini corpus in $AECOMP_MINI"
  aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir" --opt size="$mini_size" --opt nj="$nj"
fi
