# Corpus roots, from environment variables of the same name. Unset: the built-in mini corpus.
SPEECH_COMMANDS=${SPEECH_COMMANDS:-}   # .../speech_commands_v0.02 (with validation_list.txt)
MUSAN=${MUSAN:-}                       # .../musan (optional extra noise)
ESC50=${ESC50:-}                       # .../ESC-50-master (optional extra noise)
export AECOMP_MINI=${AECOMP_MINI:-$AECOMP_ROOT/mini_corpus}   # where the mini corpus is built (configs use it)
# s3prl checkpoint (WavLM format) of the SSL representation loss (cascade_ssl); default: the
# tiny, randomly initialised one that stage 1 builds with the mini corpus. Point it at a real
# one (e.g. WavLM-Base+.pt) for real experiments.
export SSL_UPSTREAM=${SSL_UPSTREAM:-$AECOMP_MINI/upstream/tiny_wavlm.pt}
