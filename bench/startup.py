"""Start-up time: `aecomp --help` and `aecomp list` against `python -c pass` (median of 10 runs); and what a
training or evaluation process pays to build ESPnet's ASR model (LibriSpeech's components: default front-end,
utterance MVN, transformer encoder, CTC): importing the whole ``espnet2.tasks.asr`` for its tables of names,
against :mod:`aecomp.espnet_components` (those modules alone), 5 alternating runs each (median).

    tools/venv/bin/python bench/startup.py
"""

from __future__ import annotations

import argparse
import statistics
import sys

from common import VENV_BIN, median_time, result, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs of each ESPnet build (median)")
    args = parser.parse_args()
    aecomp = str(VENV_BIN / "aecomp")
    base = median_time(lambda: run([sys.executable, "-c", "pass"]), 10)
    help_ = median_time(lambda: run([aecomp, "--help"]), 10)
    list_ = median_time(lambda: run([aecomp, "list"]), 10)
    print(f"python -c pass {base:.3f} s, aecomp --help {help_:.3f} s, aecomp list {list_:.3f} s (target < 1 s)")
    print(f"aecomp list / python -c pass: {list_ / base:.2f}")

    components = [("frontend", "default"), ("normalize", "utterance_mvn"), ("encoder", "transformer")]
    common = "from aecomp.offline import offline_imports; offline_imports(); import espnet2.asr.ctc, espnet2.asr.espnet_model; "
    task = common + "import espnet2.tasks.asr as t; " + "; ".join(f"t.{k}_choices.get_class({n!r})" for k, n in components)
    direct = common + "from aecomp.espnet_components import espnet_class as c; " + "; ".join(
        f"c('asr', {k!r}, {n!r})" for k, n in components)
    times = {"task": [], "direct": []}
    for _ in range(args.repeats):  # alternating: a slower minute of the machine hits both
        for name, code in (("task", task), ("direct", direct)):
            times[name].append(median_time(lambda: run([sys.executable, "-c", code]), 1))
    t_task, t_direct = (statistics.median(times[k]) for k in ("task", "direct"))
    print(f"building ESPnet's ASR model's components: through espnet2.tasks.asr {t_task:.2f} s, "
          f"through aecomp.espnet_components {t_direct:.2f} s (process wall time, median of {args.repeats})")
    result("aecomp_list_seconds", list_)  # the figures: the last lines, together
    result("espnet_asr_components_task_seconds", t_task, "{:.2f}")
    result("espnet_asr_components_direct_seconds", t_direct, "{:.2f}")
    result("espnet_task_over_direct_build_time", t_task / t_direct, "{:.2f}")


if __name__ == "__main__":
    main()
