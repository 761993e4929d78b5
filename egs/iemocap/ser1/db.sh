# Corpus roots, from environment variables of the same name. Unset: the built-in mini corpus.
IEMOCAP=${IEMOCAP:-}                   # .../IEMOCAP_full_release (Session1 ... Session5)
ESC50=${ESC50:-}                       # .../ESC-50-master: training noise and the matched test condition
MUSAN=${MUSAN:-}                       # .../musan: the unmatched test condition (noise/ only)
export AECOMP_MINI=${AECOMP_MINI:-$AECOMP_ROOT/mini_corpus}   # where the mini corpus is built (configs use it)
# SSL upstream (ssl_er recogniser and the SSL loss of cascade_ssl): s3prl upstream name and checkpoint; default:
# the tiny HuBERT that the template pre-trains on the mini corpus's training speech when a selected system needs
# it (aecomp/corpora/mini_upstream.py). For real experiments point both at a real model, e.g.
# SSL_UPSTREAM_NAME=wavlm_local SSL_UPSTREAM=.../WavLM-Base+.pt
export SSL_UPSTREAM_NAME=${SSL_UPSTREAM_NAME:-hubert_local}
export SSL_UPSTREAM=${SSL_UPSTREAM:-$AECOMP_MINI/upstream/tiny_hubert.pt}
# cascade_ssl_random: the same recogniser and loss through a tiny, randomly initialised WavLM (the baseline)
export SSL_UPSTREAM_RANDOM=${SSL_UPSTREAM_RANDOM:-$AECOMP_MINI/upstream/tiny_wavlm.pt}
