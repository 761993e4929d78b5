# Corpus roots, from environment variables of the same name. Unset: the built-in mini corpus.
SPEECH_COMMANDS=${SPEECH_COMMANDS:-}   # .../speech_commands_v0.02 (with validation_list.txt)
MUSAN=${MUSAN:-}                       # .../musan (optional extra noise)
ESC50=${ESC50:-}                       # .../ESC-50-master (optional extra noise)
AECOMP_MINI=${AECOMP_MINI:-$AECOMP_ROOT/mini_corpus}   # where the mini corpus is built
