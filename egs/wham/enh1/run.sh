#!/usr/bin/env bash
# Noisy two-talker separation (WHAM!, 8 kHz, min) with mask-based espnet2 separators, and NASS
# (seed 003: the noise as an extra output + a patch-wise contrastive loss on the separator's
# features). Systems per backbone: <backbone> (2 outputs, PIT SI-SNR), <backbone>_noise (3 outputs:
# the noise too), <backbone>_nass (3 outputs + the contrastive loss). Metrics: SI-SNRi, SDRi over
# the two speakers (the noise output dropped), PESQ, STOI.
#
#   ./run.sh                                      # Conv-TasNet systems, on the mini corpus unless WHAM is set
#   ./run.sh --systems "dprnn dprnn_noise dprnn_nass"
#   ./run.sh --stage 4 --seeds "1 2 3"
#   WHAM=/data/wham ./run.sh --data_args "--task sep_clean" --nj 8 --ngpu 1
#   ./run.sh --help
set -euo pipefail
. ../../TEMPLATE/utils/quote_args.sh
export AECOMP_RUN_COMMAND="cd egs/wham/enh1 && $(quote_args ./run.sh "$@")"

exec ../../TEMPLATE/aecomp.sh \
  --systems "convtasnet convtasnet_noise convtasnet_nass" \
  --sample_rate 8000 \
  --example_sets "test" \
  --title "Noisy speech separation (WHAM! sep_noisy): SI-SNRi / SDRi (dB)" \
  "$@"
