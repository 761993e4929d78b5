#!/usr/bin/env bash
# Set up (tools/install.sh, idempotent) and run the whole test suite.
# Extra arguments go to pytest, e.g.  tools/test.sh -k registry -x
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/tools/install.sh"
cd "$root"
exec "$root/tools/venv/bin/python" -m pytest -q "$@" tests
