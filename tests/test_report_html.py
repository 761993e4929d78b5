"""The results page (aecomp/report_html.py) and the examples evaluation keeps for it (aecomp/examples.py),
on a small experiment tree made by real `aecomp train`, `aecomp evaluate --keep_examples` and `aecomp report`
(tiny debug models on the debug mini corpus), checked as text and in a real browser (tests/browser.py)."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import soundfile as sf

from browser import Sources, check_page
from conftest import ROOT, run_cli

CONF = ROOT / "egs" / "speech_commands" / "scr1" / "conf" / "debug"
#: system -> overrides that keep its training to seconds
SYSTEMS = {"noisy": "paradigm.conf.epochs=1", "cascade": "paradigm.conf.ae_epochs=1 paradigm.conf.ca_epochs=1",
           "cascade_rnnoise": "paradigm.conf.epochs=1"}
TITLE = 'Commands <script>alert("x")</script> & "noise"'


@pytest.fixture(scope="module")
def recipe(mini_data, tmp_path_factory):
    """A recipe folder as stages 3-6 leave it: data/eval sets, three trained and scored systems, RESULTS.md,
    exp/index.html."""
    from aecomp.data.datadir import DataDir
    from aecomp.data.evalsets import make_evalsets, noise_grid

    root = tmp_path_factory.mktemp("recipe")
    sets = root / "data" / "eval"
    banks = {c: mini_data / f"noise_test_{c}" for c in ("seen", "unseen")}
    make_evalsets(DataDir.load(mini_data / "test"), noise_grid(banks, [0, -5], seed=1), sets, 16000)
    for system, override in SYSTEMS.items():
        run = root / "exp" / system / "seed1"
        run_cli("train", "--config", str(CONF / f"train_{system}.yaml"), "--override", f"trainer.seed=1 {override}",
                "--train_data", str(mini_data / "train"), "--valid_data", str(mini_data / "dev"),
                "--noise", str(mini_data / "noise_train"), "--out_dir", str(run))
        run_cli("evaluate", "--model_dir", str(run), "--data", *map(str, sorted(sets.iterdir())),
                "--keep_examples", "2", "--example_sets", "*_0dB", "--batch_size", "8")
    run_cli("report", "--exp_dir", str(root / "exp"), "--out", str(root / "RESULTS.md"), "--title", TITLE,
            "--systems", " ".join(SYSTEMS))
    return root


def sources_of(text: str):
    parser = Sources()
    parser.feed(text)
    return parser.found


def sources(page) -> Sources:
    parser = Sources()
    parser.feed(page.read_text())
    return parser


def test_evaluation_keeps_the_first_utterances_of_the_chosen_sets(recipe, mini_data):
    from aecomp.data.datadir import DataDir
    from aecomp.examples import IMAGE_SIZE

    run = recipe / "exp" / "cascade_rnnoise" / "seed1" / "eval"
    assert sorted(p.parent.parent.name for p in run.glob("*/examples/examples.json")) == ["seen_0dB", "unseen_0dB"]
    data = DataDir.load(recipe / "data" / "eval" / "seen_0dB")
    kept = json.loads((run / "seen_0dB" / "examples" / "examples.json").read_text())
    assert [e["utt"] for e in kept["examples"]] == sorted(data.utts)[:2]  # the same ones for every system
    assert (kept["condition"], kept["level"], kept["unit"]) == ("seen", 0.0, "dB")
    texts = data.get("text")
    for ex in kept["examples"]:
        assert ex["text"] == texts[ex["utt"]] and isinstance(ex["hyp"], str)
        assert set(ex["files"]) == {"noisy", "clean", "estimate"}
        clean = data.audio(ex["utt"], 16000, "spk1.scp")
        for role, files in ex["files"].items():
            wav, rate = sf.read(run / "seen_0dB" / "examples" / files["audio"])  # Ogg Opus, 48 kHz
            assert rate == 48000 and abs(len(wav) / rate - len(clean) / 16000) < 0.01, (role, len(wav))
            png = (run / "seen_0dB" / "examples" / files["image"]).read_bytes()
            assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 30000
        # the clip of the clean reference is that reference (through Opus at 24 kbit/s)
        from aecomp.audio.io import resample

        back = resample(sf.read(run / "seen_0dB" / "examples" / ex["files"]["clean"]["audio"])[0], 48000, 16000)
        n = min(len(back), len(clean))
        assert np.corrcoef(back[:n], clean[:n])[0, 1] > 0.9
    from PIL import Image

    with Image.open(run / "seen_0dB" / "examples" / kept["examples"][0]["files"]["noisy"]["image"]) as image:
        assert image.size == IMAGE_SIZE and image.mode == "P"
    assert not (run / "clean" / "examples").exists() and not (run / "seen_-5dB" / "examples").exists()


def test_more_examples_rescore_a_set_and_fewer_keep_it(recipe, tmp_path):
    run = tmp_path / "noisy"
    shutil.copytree(recipe / "exp" / "noisy" / "seed1", run)
    sets = recipe / "data" / "eval"
    proc = run_cli("evaluate", "--model_dir", str(run), "--data", str(sets / "seen_0dB"), str(sets / "seen_-5dB"),
                   "--keep_examples", "3", "--example_sets", "seen_*")
    assert "already scored" not in proc.stderr  # 3 examples: more than either set kept (2 and 0)
    assert len(json.loads((run / "eval" / "seen_0dB" / "examples" / "examples.json").read_text())["examples"]) == 3
    assert len(json.loads((run / "eval" / "seen_-5dB" / "examples" / "examples.json").read_text())["examples"]) == 3
    proc = run_cli("evaluate", "--model_dir", str(run), "--data", str(sets / "seen_0dB"))
    assert f"already scored on {sets / 'seen_0dB'}; kept" in proc.stderr
    assert (run / "eval" / "seen_0dB" / "examples" / "examples.json").is_file()


def test_pesq_and_stoi_on_chosen_sets_only(recipe, tmp_path):
    run = tmp_path / "noisy"
    shutil.copytree(recipe / "exp" / "noisy" / "seed1", run, ignore=shutil.ignore_patterns("eval"))
    sets = recipe / "data" / "eval"
    run_cli("evaluate", "--model_dir", str(run), "--data", str(sets / "seen_0dB"), str(sets / "seen_-5dB"),
            "--pesq_stoi", "false", "--pesq_stoi_sets", "*_0dB")
    chosen, other = (json.loads((run / "eval" / s / "metrics.json").read_text()) for s in ("seen_0dB", "seen_-5dB"))
    assert chosen["pesq_stoi"] and 1 < chosen["pesq"] < 4.7 and 0 < chosen["stoi"] <= 1
    assert not other["pesq_stoi"] and "pesq" not in other and "si_snr" in other


def test_page_holds_every_table_the_facts_and_the_examples(recipe):
    page = (recipe / "exp" / "index.html").read_text()
    md = (recipe / "RESULTS.md").read_text()
    assert "<script" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in page
    assert page.count("<table>") == sum(line.startswith("|---|") for line in md.splitlines()) > 5  # every table
    for heading in re.findall(r"^## (.+)$", md, re.M):
        assert heading.replace("'", "&#x27;").replace("&", "&amp;") in page or heading in page, heading
    for section in ("SI-SNR improvement of the front-end", "PESQ of the front-end", "STOI of the front-end"):
        table = md.split(section, 1)[1].split("\n## ", 1)[0]
        assert "| cascade_rnnoise |" in table and "| cascade |" in table, section  # beside the trained one
    assert "| noisy input (no front-end) |" in md.split("PESQ of the front-end", 1)[1].split("\n## ", 1)[0]
    facts = page.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
    from importlib.metadata import version

    assert f"pyrnnoise wheel ({version('pyrnnoise')})" in facts and "cascade_rnnoise" in facts
    assert "1 run(s) (seed1)" in facts and "none (no system uses one)" in facts and "<dt>Commit</dt>" in facts
    examples = page.split('id="examples"', 1)[1]
    for set_name in ("seen_0dB", "unseen_0dB"):
        block = examples.split(f'id="ex-{set_name}"', 1)[1].split("<h3", 1)[0]
        assert block.count('<div class="utt">') == 2
        captions = re.findall(r"<figcaption>([^<]+?) <span>", block)
        assert captions == ["noisy input", "clean reference", "cascade", "cascade_rnnoise"] * 2, captions
        assert block.count("Without a front-end (they hear the noisy input): noisy:") == 2
    assert "seen noise, 0 dB" in examples and "seen_-5dB" not in examples


def test_every_link_of_the_page_exists_and_nothing_comes_from_the_network(recipe):
    page = recipe / "exp" / "index.html"
    found = sources(page).found
    assert {t for t, _, _ in found} >= {"img", "audio"}
    for tag, attr, value in found:
        assert not re.match(r"^[a-z]+://|^//", value), value
        assert value.startswith("#") or (page.parent / value).is_file(), (tag, value)
    size = sum((page.parent / v).stat().st_size for v in {v for _, _, v in found if not v.startswith("#")})
    from aecomp.report_html import PAGE_BUDGET

    note = re.search(r"the (\d+) files it links: ([\d.]+) MiB \(budget (\d+) MiB\)", page.read_text())
    assert note and int(note[1]) == len({v for _, _, v in found if not v.startswith("#")})
    assert abs(float(note[2]) - (size + page.stat().st_size) / 2 ** 20) < 0.02 and size < PAGE_BUDGET


def test_the_budget_leaves_examples_out_and_says_so(recipe, tmp_path, monkeypatch):
    from aecomp import report_html

    page = recipe / "exp" / "index.html"
    text = page.read_text()
    first = text.split('<div class="utt">', 2)[1]  # the first utterance's cards
    files = {v for _, _, v in sources_of(first)}
    plot = [v for _, _, v in sources(page).found if "results_" in v]
    fits_one = sum((page.parent / v).stat().st_size for v in files | set(plot)) + 20000  # not two: 4 files each
    monkeypatch.setattr(report_html, "PAGE_BUDGET", fits_one)
    out = report_html.write_recipe_page(recipe / "exp", recipe / "RESULTS.md", TITLE, list(SYSTEMS),
                                        out=tmp_path / "small.html")
    small = out.read_text()
    full, kept = text.count("<figure>"), small.count("<figure>")
    assert kept == 4 and full == 16  # whole utterances are left out, not single cards
    assert "3 example utterance(s) were left out to stay within it" in small
    assert all((out.parent / v).is_file() for _, _, v in sources_of(small) if not v.startswith("#"))  # from its place


def test_markdown_is_rendered_with_its_markup_escaped_and_paths_moved(tmp_path):
    from aecomp.report_html import render_markdown

    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "plot.png").write_bytes(b"\x89PNG")
    text = ("# T <img src=x onerror=alert(1)>\n\n| system | acc |\n|---|---:|\n| a<b | 0.5 |\n\n"
            "![plot](exp/plot.png)\n\n![gone](exp/missing.png)\n\n[table](exp/plot.png) [web](https://x.org/)\n")
    out = render_markdown(text, lambda p: (f"moved/{p}" if (tmp_path / p).is_file() else None), shift=1)
    assert "<h2>T &lt;img src=x onerror=alert(1)&gt;</h2>" in out and "<img src=x" not in out
    assert '<div class="scroll"><table>' in out and "<td>a&lt;b</td>" in out
    assert 'src="moved/exp/plot.png"' in out and "missing.png" not in out
    assert 'href="moved/exp/plot.png"' in out and 'href="https://x.org/"' in out


def test_summary_page_copies_what_it_links(recipe, tmp_path):
    from aecomp.report_html import summary_table, write_summary_page

    out = write_summary_page([("scr", recipe / "exp"), ("absent", tmp_path / "nothing")], tmp_path / "results",
                             command="./run_all.sh --seeds '1 2'")
    text = out.read_text()
    found = sources(out).found
    local = [v for _, _, v in found if not v.startswith("#")]
    assert local and all(v.startswith("scr/") and (out.parent / v).is_file() for v in local)
    assert "./run_all.sh --seeds &#x27;1 2&#x27;" in text and 'href="#scr"' in text
    table = summary_table([("scr", recipe / "exp")])
    assert [line.split(" | ")[1] for line in table.splitlines()[2:]] == list(SYSTEMS)  # in the report's order
    assert "acc (higher is better)" in table and "seen " in table and "unseen " in table
    assert text.count("<table>") > (recipe / "exp" / "index.html").read_text().count("<table>")  # + the summary


def test_the_pages_render_in_chromium(recipe, tmp_path):
    from aecomp.report_html import write_summary_page

    counts = check_page(recipe / "exp" / "index.html", tmp_path / "recipe")
    figures = (recipe / "exp" / "index.html").read_text().count("<figure>")
    assert counts["img"] == figures + 1 and counts["audio"] == figures  # + the plot of the noise family
    summary = write_summary_page([("scr", recipe / "exp")], tmp_path / "results")
    again = check_page(summary, tmp_path / "summary", size=(1280, 900))
    assert (again["img"], again["audio"]) == (counts["img"], counts["audio"])
