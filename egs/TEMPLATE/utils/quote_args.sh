#!/usr/bin/env bash
# quote_args ARG...: print the arguments as one line that a shell reads back as the same
# arguments (recorded as the "Produced by" command of RESULTS.md, to be pasted).
# Plain words stay as they are, others are put in single quotes: --systems 'clean noisy'.
quote_args() {
  local out=() a q="'"
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./=:,+@%-]+$ ]]; then
      out+=("$a")
    else
      out+=("'${a//$q/$q\\$q$q}'")   # ' inside becomes '\''
    fi
  done
  echo "${out[*]}"
}
