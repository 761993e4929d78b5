# Corpus roots, from environment variables of the same name. Unset: the built-in mini corpus.
LIBRISPEECH=${LIBRISPEECH:-}           # .../LibriSpeech (holds train-clean-100, dev-clean, test-clean, ...)
MUSAN=${MUSAN:-}                       # .../musan (noise for the real corpus)
ESC50=${ESC50:-}                       # .../ESC-50-master (noise for the real corpus)
export AECOMP_MINI=${AECOMP_MINI:-$AECOMP_ROOT/mini_corpus}   # where the mini corpus is built (configs use it)
# SSL representation loss (cascade_ssl): s3prl upstream name and checkpoint; default: the tiny HuBERT that
# stage 1 pre-trains on the mini corpus's training speech (aecomp/corpora/mini_upstream.py). For real
# experiments point both at a real model, e.g. SSL_UPSTREAM_NAME=wavlm_local SSL_UPSTREAM=.../WavLM-Base+.pt
export SSL_UPSTREAM_NAME=${SSL_UPSTREAM_NAME:-hubert_local}
export SSL_UPSTREAM=${SSL_UPSTREAM:-$AECOMP_MINI/upstream/tiny_hubert.pt}
# cascade_ssl_random: the same loss through a tiny, randomly initialised WavLM (the baseline), also from stage 1
export SSL_UPSTREAM_RANDOM=${SSL_UPSTREAM_RANDOM:-$AECOMP_MINI/upstream/tiny_wavlm.pt}
