"""The results page: a recipe's ``exp/index.html`` and ``results/index.html`` of every recipe.

A page holds what ``RESULTS.md`` holds (every table with its metric, the plots, what each system is,
how each stage made its outputs: the markdown is rendered, so the page never disagrees with it), what
produced the results (the SSL upstream and whether it is pre-trained, the pretrained enhancers, the
seeds, the commit), and the listening examples that evaluation kept (:mod:`aecomp.examples`): per
set and utterance the clean reference, the noisy input and each system's output, each with an audio
player and a spectrogram.

The page is self-contained: no script, no font or style from the network (the CSS is inline, the
images and clips are files beside it, linked by relative paths), and readable on a phone (one
column on a narrow screen, wide tables scroll sideways). Its size is bounded: the page and every
file it links take at most :data:`PAGE_BUDGET` bytes per recipe; examples that would pass it are left
out, and the page says so and how large it is.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from aecomp import report
from aecomp.fs import atomic_write_text

log = logging.getLogger(__name__)

#: bytes a recipe's page may take with the images and clips it links (the summary page: this per recipe)
PAGE_BUDGET = 4 * 2 ** 20
#: what the recipe page records beside itself for the summary page (title, system order, RESULTS.md)
INDEX_JSON = "index.json"

CSS = """
:root { color-scheme: light; --fg: #1d232a; --muted: #5b6670; --line: #d5dbe0; --bg: #fff; --card: #f5f7f9; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; font: 16px/1.45 system-ui, -apple-system, "Segoe UI",
       Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.6rem; margin: .2rem 0 .6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; }
h3 { font-size: 1.1rem; margin-top: 1.5rem; } h4 { font-size: 1rem; }
a { color: #0b5cad; } code, pre { font: .85rem/1.4 "DejaVu Sans Mono", monospace; }
pre { background: var(--card); padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.scroll { overflow-x: auto; margin: .5rem 0 1rem; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; white-space: nowrap; }
th { background: var(--card); }
img { max-width: 100%; height: auto; }
.facts { background: var(--card); border-left: 4px solid #0b5cad; padding: .5rem 1rem; }
.facts dt { font-weight: 600; } .facts dd { margin: 0 0 .4rem 0; }
.utt { margin: 1rem 0 1.5rem; } .utt p { margin: .2rem 0; color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .6rem; }
figure { margin: 0; padding: .5rem; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
figcaption { font-weight: 600; font-size: .9rem; } figcaption span { font-weight: 400; color: var(--muted); }
figure img { display: block; width: 100%; image-rendering: auto; margin: .3rem 0; }
audio { width: 100%; height: 2.2rem; }
nav ul { padding-left: 1.2rem; } footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 40rem) { body { padding: .6rem; font-size: 15px; } h1 { font-size: 1.3rem; } }
"""


def esc(text) -> str:
    """``text`` safe inside HTML text and quoted attributes."""
    return html.escape(str(text), quote=True)


# -- markdown ------------------------------------------------------------------------------------------

def render_markdown(text: str, place: Callable[[str], Optional[str]], shift: int = 0) -> str:
    """``text`` (RESULTS.md) as HTML: raw HTML in it is escaped, not passed through; each image source and
    local link ``p`` becomes ``place(p)`` (None: a link left as text, an image dropped); headings move
    ``shift`` levels down; tables scroll sideways in a ``div.scroll``."""
    import markdown
    from markdown.treeprocessors import Treeprocessor

    class Rewrite(Treeprocessor):
        def run(self, root):
            for parent in list(root.iter()):
                for i, child in enumerate(list(parent)):
                    if child.tag == "table":
                        wrapper = parent.makeelement("div", {"class": "scroll"})
                        parent.remove(child)
                        wrapper.append(child)
                        parent.insert(i, wrapper)
                    elif child.tag == "img":
                        src = place(child.get("src", ""))
                        if src is None:
                            parent.remove(child)
                        else:
                            child.set("src", src)
                            child.set("loading", "lazy")
                    elif child.tag == "a" and not re.match(r"^[a-z]+:|^#", child.get("href", "")):
                        href = place(child.get("href", ""))
                        if href is None:
                            child.tag = "span"
                            child.attrib.pop("href", None)
                        else:
                            child.set("href", href)
                    elif shift and re.fullmatch(r"h[1-6]", child.tag):
                        child.tag = f"h{min(6, int(child.tag[1]) + shift)}"

    md = markdown.Markdown(extensions=["tables", "fenced_code"])
    md.preprocessors.deregister("html_block")  # a title or a system name is text, never markup
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(Rewrite(md), "aecomp_paths", 0)
    return md.convert(text)


# -- what produced the results ---------------------------------------------------------------------------

def provenance(exp_dir: Path, rows: List[dict], systems: Sequence[str]) -> Dict[str, str]:
    """What produced the results, as ``{what: text}``: upstream, enhancers, seeds, commit."""
    ups = report.describe_upstreams(exp_dir, systems)
    facts = {"SSL upstream": "; ".join(f"{s}: {u}" for s, u in ups.items()) or "none (no system uses one)"}
    frontends = {r["system"]: r["frontend"] for r in rows}
    rn = [s for s in systems if frontends.get(s) == "rnnoise"]
    if rn:
        facts["Pretrained enhancer"] = (f"RNNoise, the weights in the pyrnnoise wheel ({_version('pyrnnoise')}), "
                                        f"never trained here: {', '.join(rn)}")
    facts["Runs"] = report.describe_runs(rows)
    commits = set()
    for system, run in sorted({(r["system"], r["run"]) for r in rows}):
        for where in (exp_dir / system / run / ".stage4", exp_dir / system / run / "eval" / ".stage5"):
            rec = report.read_stage_record(where)
            if rec and rec.get("commit"):
                commits.add(rec["commit"])
    facts["Commit"] = (", ".join(sorted(commits)) + " (the training and evaluation records)" if commits
                       else f"{_git_head()} (at report time: no stage records)")
    return facts


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _git_head() -> str:
    here = Path(__file__).resolve().parent
    proc = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "unknown"


# -- examples ----------------------------------------------------------------------------------------------

@dataclass
class Budget:
    """Bytes left for the page and its files; :meth:`take` says whether ``paths`` (new ones) still fit."""

    left: int
    seen: set = field(default_factory=set)
    dropped: int = 0

    def take(self, paths: Sequence[Path], html_bytes: int = 0) -> bool:
        new = [p for p in dict.fromkeys(paths) if p not in self.seen]
        size = sum(p.stat().st_size for p in new) + html_bytes
        if size > self.left:
            return False
        self.left -= size
        self.seen.update(new)
        return True


def collect_examples(exp_dir: Path, systems: Sequence[str]) -> Dict[str, Dict[str, dict]]:
    """set -> system -> its ``examples.json`` (with ``dir``), from each system's first run."""
    found: Dict[str, Dict[str, dict]] = {}
    for system in systems:
        runs = sorted(p for p in (exp_dir / system).glob("*/eval") if p.is_dir())
        if not runs:
            continue
        for f in sorted(runs[0].glob("*/examples/examples.json")):
            data = json.loads(f.read_text())
            data["dir"] = f.parent
            found.setdefault(f.parent.parent.name, {})[system] = data
    return found


def _set_title(meta: dict) -> str:
    family, cond = meta.get("family") or "", meta.get("condition") or meta.get("set", "")
    level = meta.get("level")
    where = cond if cond == family or not family else f"{cond} {family}"
    return where if level is None else f"{where}, {level:g} {meta.get('unit') or ''}".rstrip()


def examples_html(exp_dir: Path, systems: Sequence[str], frontends: Dict[str, str], place: Callable[[Path], str],
                  budget: Budget, prefix: str = "") -> str:
    """The listening examples: per set, per utterance a card for the clean reference(s), the noisy input and
    each system's output (systems without a front-end hear the input: their decodings are listed).
    ``prefix`` starts every ``id`` (several recipes on one page)."""
    found = collect_examples(exp_dir, systems)
    if not found:
        return ""
    out = [f'<h2 id="{prefix}examples">Listen: examples</h2>',
           "<p>The first test utterances of each set below, as Ogg Opus clips (evaluation keeps them: "
           "<code>--keep_examples</code>), each with its spectrogram (one dB scale per utterance, that of the "
           "noisy input). Systems without a front-end hear the noisy input; what each system decoded is given "
           "under its card or below the utterance.</p>"]
    for set_name in sorted(found, key=lambda s: _set_order(next(iter(found[s].values())))):
        by_system = found[set_name]
        first = next(iter(by_system.values()))
        out.append(f'<h3 id="{prefix}ex-{esc(set_name)}">{esc(_set_title(first))} <small>({esc(set_name)})</small></h3>')
        for i, ex in enumerate(first["examples"]):
            cards, files = [], []
            for role, item in ex["files"].items():
                if role.startswith("estimate"):
                    continue
                label = {"noisy": "noisy input"}.get(role, role.replace("clean", "clean reference ").strip())
                cards.append((label, "", first["dir"] / item["image"], first["dir"] / item["audio"]))
            heard = []
            for system in systems:
                data = by_system.get(system)
                mine = next((e for e in data["examples"] if e["utt"] == ex["utt"]), None) if data else None
                if mine is None:
                    continue
                hyp = mine.get("hyp")
                said = f"decoded: {hyp}" if hyp is not None else ""
                if frontends.get(system) == "identity":
                    if hyp is not None:
                        heard.append(f"{esc(system)}: {esc(hyp)}")
                    continue
                for role, item in mine["files"].items():
                    if role.startswith("estimate"):
                        label = system + ("" if role == "estimate" else f" (source {role[8:]})")
                        cards.append((label, said, data["dir"] / item["image"], data["dir"] / item["audio"]))
            files = [p for c in cards for p in c[2:]]
            block = [f'<div class="utt"><p><b>{esc(ex["utt"])}</b> · reference: {esc(ex.get("text", ""))}'
                     f' · {ex.get("seconds", 0):.1f} s</p><div class="grid">']
            for label, said, image, audio in cards:
                block.append(f'<figure><figcaption>{esc(label)} <span>{esc(said)}</span></figcaption>'
                             f'<img src="{esc(place(image))}" alt="spectrogram: {esc(label)}, {esc(ex["utt"])}" '
                             f'width="320" height="120" loading="lazy">'
                             f'<audio controls preload="none" src="{esc(place(audio))}"></audio></figure>')
            block.append("</div>")
            if heard:
                block.append(f"<p>Without a front-end (they hear the noisy input): {'; '.join(heard)}</p>")
            block.append("</div>")
            text = "".join(block)
            if not budget.take(files, len(text.encode())):
                budget.dropped += len(first["examples"]) - i
                break
            out.append(text)
    return "\n".join(out)


def _set_order(meta: dict):
    rank = {f: i for i, f in enumerate(report._FAMILY_ORDER)}
    family = meta.get("family") or "custom"
    level = meta.get("level")
    return (rank.get(family, len(rank)), meta.get("condition") or "", -(level or 0) if level is not None else 0)


# -- pages ---------------------------------------------------------------------------------------------------

def recipe_section(exp_dir: Path, results_md: Path, place: Callable[[Path], str], budget: Budget,
                   systems: Optional[Sequence[str]] = None, shift: int = 0, prefix: str = "") -> str:
    """The HTML of one recipe: what produced it, RESULTS.md rendered, the examples (``prefix``: of their ids)."""
    rows = report.collect(exp_dir)
    systems = report._present(rows, systems)
    frontends = {r["system"]: r["frontend"] for r in rows}
    facts = provenance(exp_dir, rows, systems)
    parts = ['<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts.items())
             + "</dl>"]

    def place_md(src: str) -> Optional[str]:
        path = (results_md.parent / src).resolve() if src else None
        if path is None or not path.is_file():
            return None
        budget.take([path])
        return place(path)

    body = render_markdown(results_md.read_text(), place_md, shift)
    heading = re.match(r"\s*<h\d>.*?</h\d>", body, re.S)  # the title first, then the facts
    examples = examples_html(exp_dir, systems, frontends, place, budget, prefix)
    if examples:
        parts.append(f'<p>Below the tables and plots: <a href="#{prefix}examples">listen to examples</a>.</p>')
    parts = ([heading.group(0)] if heading else []) + parts + [body[heading.end():] if heading else body, examples]
    return "\n".join(p for p in parts if p)


def page(title: str, body: str, note: str = "") -> str:
    """A whole HTML document around ``body``."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n{body}\n"
            f"<footer>{note}</footer>\n</body></html>\n")


def _size_note(budget: Budget, total: int, limit: int) -> str:
    files = len(budget.seen)
    note = f"This page and the {files} files it links: {total / 2 ** 20:.2f} MiB (budget {limit / 2 ** 20:.0f} MiB)."
    if budget.dropped:
        note += f" {budget.dropped} example utterance(s) were left out to stay within it."
    return note + " Self-contained: no script, nothing loaded from the network."


def write_recipe_page(exp_dir: Path, results_md: Path, title: str, systems: Optional[Sequence[str]] = None,
                      out: Optional[Path] = None) -> Path:
    """``exp_dir/index.html`` (or ``out``): the recipe's page, its files linked where they lie; and
    :data:`INDEX_JSON` for :func:`write_summary_page`."""
    exp_dir = Path(exp_dir)
    out = Path(out or exp_dir / "index.html")
    budget = Budget(PAGE_BUDGET)

    def place(path: Path) -> str:
        return Path(os.path.relpath(Path(path).resolve(), out.parent.resolve())).as_posix()

    body = recipe_section(exp_dir, Path(results_md), place, budget, systems)
    text = page(title, body, "<!--size-->")
    total = sum(p.stat().st_size for p in budget.seen) + len(text.encode())
    atomic_write_text(out, text.replace("<!--size-->", esc(_size_note(budget, total, PAGE_BUDGET))))
    atomic_write_text(exp_dir / INDEX_JSON, json.dumps({"title": title, "systems": list(systems or []),
                                                        "results": os.path.relpath(Path(results_md).resolve(),
                                                                                   exp_dir.resolve())}, indent=1))
    log.info("results page: %s (%.2f MiB with its files; budget %.0f MiB)", out, total / 2 ** 20, PAGE_BUDGET / 2 ** 20)
    return out


def summary_table(recipes: Sequence[tuple]) -> str:
    """A markdown table of every recipe: per system the primary metric on the test set as it is and its mean
    over the low levels of each noise condition (:data:`aecomp.report.LOW_LEVELS`). ``recipes``: ``(name, exp_dir)``."""
    lines = ["| recipe | system | metric | test set as it is | low SNR (mean over "
             + ", ".join(f"{v:g}" for v in report.LOW_LEVELS["noise"][1]) + " dB) |", "|---|---|---|---:|---|"]
    for name, exp_dir in recipes:
        rows = report.collect(Path(exp_dir))
        if not rows:
            continue
        metric, mode = report.declared_metrics(rows)[0]
        agg = report.aggregate(rows, metric)
        low = report.low_level_summary(rows, metric, report.LOW_LEVELS["noise"][1])
        grid = report.conditions(rows)
        refs = [c for f in report.REFERENCE_FAMILIES for c in grid.get(f, {})]
        better = "higher" if mode == "max" else "lower"
        for system in _order_of(Path(exp_dir), rows):
            ref = " / ".join(report._cell(agg.get((system, c, None))) for c in refs) or "–"
            lows = ", ".join(f"{c} {report._cell(low[(system, c, None)])}" for c in grid.get("noise", {})
                             if (system, c, None) in low) or "–"
            lines.append(f"| {name} | {system} | {metric} ({better} is better) | {ref} | {lows} |")
    return "\n".join(lines) + "\n"


def _order_of(exp_dir: Path, rows: List[dict]) -> List[str]:
    index = exp_dir / INDEX_JSON
    systems = json.loads(index.read_text()).get("systems") if index.is_file() else None
    return report._present(rows, systems or None)


def write_summary_page(recipes: Sequence[tuple], out_dir: Path, title: str = "aecomp: results of every recipe",
                       command: str = "") -> Path:
    """``out_dir/index.html``: the summary table, then every recipe's page as a section, with copies of the
    files they link under ``out_dir/<name>/`` (the folder can be moved or served as a whole).
    ``recipes``: ``(name, exp_dir)`` with ``exp_dir/index.json`` (written by the report stage)."""
    out_dir = Path(out_dir)
    out = out_dir / "index.html"
    sections, budgets, toc, exps = [], [], [], []
    for name, exp_dir in recipes:
        exp_dir = Path(exp_dir)
        index = exp_dir / INDEX_JSON
        if not index.is_file():
            log.warning("%s: no %s (run its report stage); left out of %s", name, index, out)
            continue
        info = json.loads(index.read_text())
        files = out_dir / name
        if files.is_dir():
            shutil.rmtree(files)  # copies of an earlier run
        budget = Budget(PAGE_BUDGET)

        def place(path: Path, files=files, base=exp_dir.resolve()) -> str:
            path = Path(path).resolve()
            dest = files / path.relative_to(base) if path.is_relative_to(base) else files / path.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists():
                shutil.copyfile(path, dest)
            return dest.relative_to(out_dir).as_posix()

        anchor = re.sub(r"[^A-Za-z0-9_-]", "-", name)
        body = recipe_section(exp_dir, exp_dir / info["results"], place, budget, info.get("systems"), 1, f"{anchor}-")
        sections.append(f'<section id="{esc(anchor)}">{body}</section>')  # its title: RESULTS.md's, one level down
        toc.append(f'<li><a href="#{esc(anchor)}">{esc(info["title"])}</a> ({esc(name)})</li>')
        budgets.append(budget)
        exps.append((name, exp_dir))
    head = [f"<h1>{esc(title)}</h1>"]
    if command:
        head.append(f"<p>Produced by <code>{esc(command)}</code>.</p>")
    head.append(render_markdown("## Summary\n\n" + summary_table(exps), lambda p: None))
    head.append("<nav><ul>" + "".join(toc) + "</ul></nav>")
    text = page(title, "\n".join(head + sections), "<!--size-->")
    limit = PAGE_BUDGET * max(1, len(budgets))
    merged = Budget(0, set().union(*(b.seen for b in budgets)) if budgets else set(), sum(b.dropped for b in budgets))
    total = sum(p.stat().st_size for p in merged.seen) + len(text.encode())
    atomic_write_text(out, text.replace("<!--size-->", esc(_size_note(merged, total, limit))))
    log.info("summary page: %s (%.2f MiB with its files; budget %.0f MiB)", out, total / 2 ** 20, limit / 2 ** 20)
    return out
