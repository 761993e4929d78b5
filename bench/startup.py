"""Start-up time: `aecomp --help` and `aecomp list` against `python -c pass` (median of 10 runs).

    tools/venv/bin/python bench/startup.py
"""

from __future__ import annotations

import sys

from common import VENV_BIN, median_time, result, run


def main() -> None:
    aecomp = str(VENV_BIN / "aecomp")
    base = median_time(lambda: run([sys.executable, "-c", "pass"]), 10)
    help_ = median_time(lambda: run([aecomp, "--help"]), 10)
    list_ = median_time(lambda: run([aecomp, "list"]), 10)
    print(f"python -c pass {base:.3f} s, aecomp --help {help_:.3f} s, aecomp list {list_:.3f} s (target < 1 s)")
    print(f"aecomp list / python -c pass: {list_ / base:.2f}")
    result("aecomp_list_seconds", list_)


if __name__ == "__main__":
    main()
