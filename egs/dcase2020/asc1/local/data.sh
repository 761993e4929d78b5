#!/usr/bin/env bash
# Stage 1 of the DCASE2020 scene recipe: data/{train,dev,test} (official fold 1 train / evaluate; dev carved
# from training by recording location) and the noise bank of the seed-000 systems.
# Real corpus when DCASE2020 is set (noise: MUSAN and ESC-50 when set, else the mini corpus's synthetic bank);
# otherwise the built-in mini corpus's synthetic scenes (part 'asc', in the DCASE2020 layout).
set -euo pipefail

# -- options --
datadir=data          # output folder
nj=2                  # parallel workers
dev_fraction=0.25     # share of each scene's training locations moved to dev (0.1 suits the real corpus)
mini_size=default     # size of the mini corpus: default or debug
# -- end of options --
. ../../TEMPLATE/utils/parse_options.sh
. ./path.sh
. ./db.sh

if [ -n "$DCASE2020" ]; then
  aecomp prepare dcase2020 --corpus_dir "$DCASE2020" --out_dir "$datadir" --opt dev_fraction="$dev_fraction"
  if [ -n "$MUSAN" ] || [ -n "$ESC50" ]; then
    noise_opts=(); [ -n "$MUSAN" ] && noise_opts+=(--opt musan="$MUSAN"); [ -n "$ESC50" ] && noise_opts+=(--opt esc50="$ESC50")
    aecomp prepare noise --out_dir "$datadir" "${noise_opts[@]}"
  else
    aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir" --opt task=noise --opt nj="$nj"
  fi
else
  echo "DCASE2020 is not set: using the built-in mini corpus in $AECOMP_MINI (16 kHz, 4-s synthetic scenes)"
  aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir" --opt task=asc --opt size="$mini_size" \
    --opt nj="$nj"
  aecomp prepare dcase2020 --corpus_dir "$AECOMP_MINI/asc/TAU-urban-acoustic-scenes-2020-mobile-development" \
    --out_dir "$datadir" --opt dev_fraction="$dev_fraction"
fi
