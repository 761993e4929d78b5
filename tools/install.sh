#!/usr/bin/env bash
# Set up everything aecomp needs, idempotently (a second run takes seconds):
#   - Debian packages: espeak-ng, flite, festival and its voices (mini corpus), ffmpeg and sox (codecs, audio tools),
#     slurm-wlm and munge (the Slurm backend and its tests), chromium (the results page's browser test);
#     installed when run as root;
#   - a virtual environment in tools/venv with aecomp installed editable, with espnet,
#     espnet-s3prl, torch, torchaudio, sentencepiece, kaldiio, soundfile, pyyaml, pytest.
# Usage: tools/install.sh            (set AECOMP_SKIP_APT=1 to leave system packages alone)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/tools/venv"
stamp="$root/tools/.install-stamp"
say() { echo "[install] $*"; }

# -- system packages -------------------------------------------------------------
# espeak-ng, flite, festival + voices: the mini corpus's speakers; gcc: pesq builds from source;
# chromium and a font: the browser test of the results page (headless, from disk)
apt_packages=(espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
              ffmpeg liblc3-tools sox slurm-wlm munge gcc chromium fonts-dejavu-core)
if [ "${AECOMP_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "[install] missing system packages: ${missing[*]}" >&2
      echo "[install] run this script as root, or ask an administrator to run:" >&2
      echo "          apt-get update && apt-get install -y ${missing[*]}" >&2
      echo "[install] (AECOMP_SKIP_APT=1 skips this check)" >&2
      exit 1
    fi
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
  fi
  say "system packages present: ${apt_packages[*]}"
fi

# -- python environment ------------------------------------------------------------
python=${PYTHON:-python3}
"$python" - <<'PY' || { echo "[install] aecomp needs Python >= 3.10 with the venv module" >&2; exit 1; }
import sys, venv
assert sys.version_info >= (3, 10)
PY
want=$(cat "$root/setup.cfg" "$root/tools/constraints.txt" "$root/tools/install.sh" | sha1sum | cut -d' ' -f1)
if [ -x "$venv/bin/aecomp" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "python environment up to date: $venv"
else
  [ -x "$venv/bin/python" ] || { say "creating $venv"; "$python" -m venv "$venv"; }
  # pip as shipped with the venv: newer pips refuse espnet's ci_sdr dependency (a direct-URL extra)
  say "installing aecomp and its dependencies into $venv (the first time takes several minutes)"
  "$venv/bin/pip" install --disable-pip-version-check -q -c "$root/tools/constraints.txt" -e "$root[test]"
  echo "$want" > "$stamp"
fi
"$venv/bin/python" -c "import aecomp, torch, espnet, s3prl, sentencepiece, kaldiio, soundfile" \
  || { echo "[install] the environment in $venv is broken: delete it and rerun" >&2; exit 1; }
say "ready. Recipes activate it through their path.sh; or: source $venv/bin/activate"
