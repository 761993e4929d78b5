#!/usr/bin/env bash
# Stage 1 of the WHAM! recipe: data/{train,dev,test} (wav.scp = the mixture, spk1.scp, spk2.scp,
# noise1.scp) from the generated WHAM! layout; the built-in mini corpus's part when WHAM is unset.
set -euo pipefail

# -- options --
datadir=data          # output folder
nj=2                  # parallel workers
task=sep_noisy        # sep_noisy (mix_both -> s1, s2), sep_clean, enh_single, enh_both
sample_rate=8k        # 8k or 16k (wav8k or wav16k; the mini corpus has only 8k)
mode=min              # min or max (the mini corpus has only min)
mini_size=default     # size of the mini corpus: default or debug
# -- end of options --
. ../../TEMPLATE/utils/parse_options.sh
. ./path.sh
. ./db.sh

root=$WHAM
if [ -z "$WHAM" ]; then
  echo "WHAM is not set: using the built-in mini corpus in $AECOMP_MINI/wham"
  aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir" --opt task=wham --opt size="$mini_size" --opt nj="$nj"
  root=$AECOMP_MINI/wham
  [ "$task/$sample_rate/$mode" = sep_noisy/8k/min ] && exit 0  # what the mini corpus prepared
fi
aecomp prepare wham --corpus_dir "$root" --out_dir "$datadir" --opt task="$task" --opt sample_rate="$sample_rate" \
  --opt mode="$mode"
