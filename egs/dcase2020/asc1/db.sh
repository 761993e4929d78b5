# Corpus roots, from environment variables of the same name. Unset: the built-in mini corpus.
DCASE2020=${DCASE2020:-}   # .../TAU-urban-acoustic-scenes-2020-mobile-development (with meta.csv, evaluation_setup/)
MUSAN=${MUSAN:-}           # .../musan (noise of the seed-000 systems with a real corpus)
ESC50=${ESC50:-}           # .../ESC-50-master (more noise)
export AECOMP_MINI=${AECOMP_MINI:-$AECOMP_ROOT/mini_corpus}   # where the mini corpus is built (configs use it)
