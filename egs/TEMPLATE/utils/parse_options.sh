#!/usr/bin/env bash
# Parse "--name value" options into the shell variables of the same name.
#
# Source it after defining the variables with their defaults. Every
# "--some_name value" (or "--some-name value", or "--some_name=value") sets
# "some_name", which must already be defined, so a misspelt option fails
# instead of being ignored. "--help" prints help_message and the options with
# their meaning and current value (see _aecomp_print_help), then exits 0.
# Arguments that are not options stay in "$@".

_aecomp_print_help() {
  # options are documented where they are defined, between "# -- options" and
  # "# -- end of options" lines of the calling script: "name=default  # meaning"
  printf '%s\n' "${help_message:-Usage: $0 [options]}"
  printf '\nOptions (--name value; current value in brackets):\n'
  local line name desc
  while IFS= read -r line; do
    [[ "$line" =~ ^([a-z_0-9]+)= ]] || continue
    name=${BASH_REMATCH[1]}
    desc=""; [[ "$line" == *"# "* ]] && desc=${line#*# }
    printf '  --%-18s %-22s %s\n' "$name" "[${!name}]" "$desc"
  done < <(sed -n '/^# -- options/,/^# -- end of options/p' "$0")
}

_aecomp_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h) _aecomp_print_help; exit 0 ;;
    --*=*) _name="${1%%=*}"; _value="${1#*=}"; shift ;;
    --*)
      _name="$1"
      if [ $# -lt 2 ]; then echo "$0: option $1 needs a value" >&2; exit 1; fi
      _value="$2"; shift 2 ;;
    *) _aecomp_args+=("$1"); shift; continue ;;
  esac
  _name="${_name#--}"; _name="${_name//-/_}"
  if [ -z "${!_name+set}" ]; then
    echo "$0: unknown option --${_name}. Run '$0 --help' to list the options." >&2
    exit 1
  fi
  printf -v "$_name" '%s' "$_value"
done
set -- ${_aecomp_args[@]+"${_aecomp_args[@]}"}
unset _name _value _aecomp_args
