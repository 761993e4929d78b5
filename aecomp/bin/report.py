"""Gather the scores of every system into RESULTS.md, exp/results.csv and a plot per condition family
(exp/results_<family>.png: the metrics against the level; exp/confusion_<set>.png for classifiers that
write confusion matrices, at clean and 0 dB), and the results page exp/index.html
(RESULTS.md with the listening examples that evaluation kept; aecomp/report_html.py).

Example:
  aecomp report --exp_dir exp --out RESULTS.md --title "Speech Commands (mini)" --command "./run.sh"
"""

from __future__ import annotations

import argparse

from aecomp.bin.common import option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    option(parser, "--exp_dir", required=True, help="folder with <system>/<run>/eval/<set>/metrics.json")
    option(parser, "--out", default="RESULTS.md", help="the markdown table to write")
    option(parser, "--title", default="Results")
    option(parser, "--command", default="", help="the command that produced the results (recorded)")
    option(parser, "--notes", default="", help="markdown put under the title (data, upstreams, ...)")
    option(parser, "--systems", default="", help="system order in tables (space-separated)")
    option(parser, "--data_dir", default="",
           help="data folder of the recipe, summarised in RESULTS.md with how each stage made its outputs")


def main(args) -> int:
    import logging
    import os
    from pathlib import Path

    from aecomp import report
    from aecomp.errors import AecompError

    log = logging.getLogger("aecomp.report")
    exp = Path(args.exp_dir)
    rows = report.collect(exp)
    if not rows:
        raise AecompError(f"no scores under {exp}/*/*/eval/*/metrics.json: run the evaluation stage first")
    systems = args.systems.split() or None
    csv_path, per_seed = report.write_csv(rows, exp)
    out = Path(args.out)
    pngs, shown = [], {}
    for family in report.plotted_families(rows):
        png = report.plot(rows, exp / f"results_{family}.png", args.title, family, systems)
        pngs.append(png)
        shown[family] = str(Path(png.resolve()).relative_to(out.resolve().parent) if png.resolve().is_relative_to(
            out.resolve().parent) else png.resolve())
    shown_systems = systems or sorted({r["system"] for r in rows})
    notes = "\n\n".join(n for n in (args.notes, report.describe_data(Path(args.data_dir)) if args.data_dir else "",
                                    report.describe_systems(exp, shown_systems)) if n)
    provenance = report.describe_provenance(Path(args.data_dir), exp, rows, args.command) if args.data_dir else ""
    from aecomp.report_codec import PLOT, codec_section
    from aecomp.report_confusion import confusion_figures

    link = os.path.relpath((exp / PLOT).resolve(), out.resolve().parent)
    appendix = [confusion_figures(exp, shown_systems, out),  # classifiers by recall
                codec_section(rows, exp, shown_systems, link)]  # seed 004's codec categories
    report.write_markdown(rows, out, args.title, args.command, notes, systems, shown, provenance,
                          "".join(a for a in appendix if a))
    from aecomp.report_html import write_recipe_page

    page = write_recipe_page(exp, out, args.title, systems)  # RESULTS.md as a page, with the kept examples
    log.info("results: %s, %s, %s, %s, %s", out, page, csv_path, per_seed, ", ".join(map(str, pngs)))
    print(out.read_text())
    return 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
