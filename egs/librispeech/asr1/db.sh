# Corpus roots, from environment variables of the same name. Unset: the built-in mini corpus.
LIBRISPEECH=${LIBRISPEECH:-}           # .../LibriSpeech (holds train-clean-100, dev-clean, test-clean, ...)
MUSAN=${MUSAN:-}                       # .../musan (noise for the real corpus)
ESC50=${ESC50:-}                       # .../ESC-50-master (noise for the real corpus)
export AECOMP_MINI=${AECOMP_MINI:-$AECOMP_ROOT/mini_corpus}   # where the mini corpus is built (configs use it)
# s3prl checkpoint (WavLM format) of the SSL representation loss (cascade_ssl); default: the
# tiny, randomly initialised one that stage 1 builds with the mini corpus.
export SSL_UPSTREAM=${SSL_UPSTREAM:-$AECOMP_MINI/upstream/tiny_wavlm.pt}
