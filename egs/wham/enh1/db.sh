# Corpus roots, from environment variables of the same name. Unset: the built-in mini corpus.
WHAM=${WHAM:-}   # the output folder of WHAM!'s scripts (holds wav8k/min/{tr,cv,tt}/...)
export AECOMP_MINI=${AECOMP_MINI:-$AECOMP_ROOT/mini_corpus}   # where the mini corpus is built
