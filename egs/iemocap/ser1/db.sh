# Corpus roots, from environment variables of the same name. Unset: the built-in mini corpus.
IEMOCAP=${IEMOCAP:-}                   # .../IEMOCAP_full_release (Session1 ... Session5)
ESC50=${ESC50:-}                       # .../ESC-50-master: training noise and the matched test condition
MUSAN=${MUSAN:-}                       # .../musan: the unmatched test condition (noise/ only)
export AECOMP_MINI=${AECOMP_MINI:-$AECOMP_ROOT/mini_corpus}   # where the mini corpus is built (configs use it)
# s3prl checkpoint (WavLM format) of the SSL upstream (ssl_er downstream, SSL loss of cascade_ssl); default:
# the tiny, randomly initialised one that stage 1 builds with the mini corpus. Point it at a real one
# (e.g. WavLM-Base+.pt) for real experiments.
export SSL_UPSTREAM=${SSL_UPSTREAM:-$AECOMP_MINI/upstream/tiny_wavlm.pt}
