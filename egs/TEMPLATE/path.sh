# Environment of every recipe (sourced by its path.sh): the aecomp virtual environment and the shared scripts.
AECOMP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ ! -x "$AECOMP_ROOT/tools/venv/bin/aecomp" ]; then
  echo "aecomp is not installed: run $AECOMP_ROOT/tools/install.sh first" >&2
  exit 1
fi
export AECOMP_ROOT
export PATH="$AECOMP_ROOT/tools/venv/bin:$AECOMP_ROOT/egs/TEMPLATE/utils:$PATH"
export PYTHONUNBUFFERED=1 LC_ALL=C
