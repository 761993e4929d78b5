"""The evaluation grid of a recipe (conf/eval.yaml -> aecomp/data/evalsets.py, aecomp make-evalsets)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from aecomp.audio.mixing import measured_snr, mix_at_snr
from aecomp.data.datadir import DataDir
from aecomp.data.evalsets import load_grid, make_evalsets, read_meta
from conftest import ROOT, run_cli

NOISE_GRID = """\
seed: 1
conditions:
  - name: clean
    family: clean
  - name: seen
    corruption: {name: noise, conf: {bank: noise_test_seen}}
    vary: snr
    levels: [10, 0]
    unit: dB
"""


def write_grid(tmp: Path, text: str) -> Path:
    path = tmp / "eval.yaml"
    path.write_text(text)
    return path


def test_grid_sets_names_meta_and_snrs(mini_data, tmp_path):
    test = DataDir.load(mini_data / "test")
    grid = load_grid(write_grid(tmp_path, NOISE_GRID))
    out = tmp_path / "eval"
    made = make_evalsets(test, grid, out, 16000, data_dir=mini_data)
    assert [(p.name, now) for p, now in made] == [("clean", True), ("seen_10dB", True), ("seen_0dB", True)]
    assert json.loads((out / "seen_0dB" / "meta.json").read_text()) == {
        "condition": "seen", "family": "noise", "level": 0.0, "unit": "dB",
        "corruption": {"name": "noise", "conf": {"bank": "noise_test_seen", "snr": 0}},
        "seed": 1, "sample_rate": 16000, "test": str(test.path), "data_dir": str(mini_data)}
    assert read_meta(out / "clean") == {
        "condition": "clean", "family": "clean", "level": None, "unit": None, "corruption": None, "seed": 1,
        "sample_rate": 16000, "test": str(test.path), "data_dir": str(mini_data)}
    utt = test.utts[0]
    for name, snr in (("seen_10dB", 10), ("seen_0dB", 0)):
        d = DataDir.load(out / name)
        noisy, clean = d.audio(utt, 16000), d.audio(utt, 16000, "spk1.scp")
        assert abs(measured_snr(clean, noisy - clean) - snr) < 0.05  # 16-bit FLAC quantisation
        assert not (out / name / "noise1.scp").exists()  # noise_reference is off by default
    noise_ids = [[line.split("\t")[2] for line in (out / n / "corruption.tsv").read_text().splitlines()[1:]]
                 for n in ("seen_10dB", "seen_0dB")]
    assert noise_ids[0] == noise_ids[1] and len(noise_ids[0]) == len(test)  # same noise at every level
    mtime = (out / "seen_0dB" / "wav.scp").stat().st_mtime_ns
    again = make_evalsets(test, grid, out, 16000, data_dir=mini_data)
    assert [now for _, now in again] == [False, False, False]
    assert (out / "seen_0dB" / "wav.scp").stat().st_mtime_ns == mtime, "an unchanged set was rewritten"


def test_mixtures_are_the_draws_of_the_fixed_snr_sets(mini_data, tmp_path):
    """Utterance i of condition c draws from [seed, crc32(c), i]: recording and offset, then mixing, exactly
    as the fixed-SNR sets did before the grid (same seed: the same audio, so the same scores)."""
    from aecomp.data.dataset import NoiseBank

    test = DataDir.load(mini_data / "test")
    make_evalsets(test, load_grid(write_grid(tmp_path, NOISE_GRID)), tmp_path / "eval", 16000, data_dir=mini_data)
    bank = NoiseBank(DataDir.load(mini_data / "noise_test_seen"), 16000)
    for i in (0, len(test) - 1):
        utt = test.utts[i]
        rng = np.random.default_rng([1, zlib.crc32(b"seen"), i])
        segment, _ = bank.segment(len(test.audio(utt, 16000)), rng)
        expected = mix_at_snr(test.audio(utt, 16000), segment, 0.0, rng).mixture
        got, _ = sf.read(tmp_path / "eval" / "seen_0dB" / "wav" / f"{utt}.flac", dtype="float32")
        assert np.abs(got - expected).max() <= 1 / 32768 + 1e-7


def test_noise_reference_and_a_chain(mini_data, tmp_path):
    """noise_reference writes noise1.scp for additive conditions (mixture = reference + noise); a chain of
    two noises is one condition of family chain whose level sets a step's SNR."""
    grid = load_grid(write_grid(tmp_path, """\
seed: 3
noise_reference: true
conditions:
  - name: both
    corruption:
      name: chain
      conf:
        steps:
          - {name: noise, conf: {bank: noise_test_seen, snr: 20}}
          - {name: noise, conf: {bank: noise_test_unseen}}
    vary: steps.1.conf.snr
    levels: [5]
    unit: dB
"""))
    test = DataDir.load(mini_data / "test")
    (path, _), = make_evalsets(test, grid, tmp_path / "eval", 16000, data_dir=mini_data)
    assert path.name == "both_5dB"
    meta = read_meta(path)
    assert (meta["family"], meta["corruption"]["conf"]["steps"][1]["conf"]["snr"]) == ("chain", 5)
    d = DataDir.load(path)
    utt = test.utts[1]
    mix, ref, noise = (d.audio(utt, 16000, t) for t in ("wav.scp", "spk1.scp", "noise1.scp"))
    assert np.abs(mix - ref - noise).max() < 3 / 32768
    assert measured_snr(ref, noise) < 5.0  # two noises: below the last step's 5 dB


@pytest.fixture
def halve(monkeypatch):
    """A non-additive corruption registered for the test: the signal times ``factor``, reference unchanged."""
    from aecomp import registry
    from aecomp.corruptions.base import Corrupted, Corruption

    class Halve(Corruption):
        family = "gain"

        def __init__(self, factor: float = 0.5, *, sample_rate: int):
            self.factor = factor

        def __call__(self, speech, sample_rate, rng):
            return Corrupted((speech * self.factor).astype(np.float32), speech, None, {"factor": self.factor})

    monkeypatch.setitem(registry.REGISTRY._classes["corruption"], "test_halve", Halve)


def test_any_corruption_and_its_clean_reference(mini_data, tmp_path, halve):
    grid = load_grid(write_grid(tmp_path, """\
seed: 0
noise_reference: true
conditions:
  - name: quiet
    corruption: {name: test_halve}
    vary: factor
    levels: [0.5, 0.25]
    unit: x
"""))
    test = DataDir.load(mini_data / "test")
    made = make_evalsets(test, grid, tmp_path / "eval", 16000)
    assert [p.name for p, _ in made] == ["quiet_0.5x", "quiet_0.25x"]
    d = DataDir.load(tmp_path / "eval" / "quiet_0.25x")
    assert d.get("spk1.scp") == test.get("wav.scp")  # the reference is the test audio itself: not copied
    assert not d.has("noise1.scp")  # nothing was added
    utt = test.utts[0]
    assert np.abs(d.audio(utt, 16000) - 0.25 * test.audio(utt, 16000)).max() < 1 / 32768
    assert (read_meta(d.path)["family"], read_meta(d.path)["unit"]) == ("gain", "x")


@pytest.mark.parametrize("text, message", [
    ("seed: 1\nconditions:\n  - name: clean\n  - name: seen\n    corruption: {name: noise, conf: {bank: b}}\n"
     "    vary: snr\n    levels: [5, high]\n    unit: dB\n",
     ":4: condition 'seen': levels must be a non-empty list of numbers, got [5, 'high']"),
    ("seed: 1\nconditions:\n  - name: clean\n    levles: [1]\n",
     ":3: unknown key 'levles' in condition; valid: name, corruption"),
    ("seed: 1\nconditions:\n  - name: a\n    corruption: {name: chain, conf: {steps: []}}\n    vary: steps.1.conf.snr\n"
     "    levels: [1]\n    unit: dB\n", ":3: condition 'a': vary 'steps.1.conf.snr' is no place in the corruption's conf"),
    ("seed: 1\nconditions:\n  - name: a\n  - name: a\n", ": two conditions give the set name(s) a; rename one"),
    ("seed: 1\nconditon: []\n", ":2: unknown key 'conditon'; valid: seed, noise_reference, conditions"),
    ("seed: 1\nconditions:\n  - name: a\n    corruption: {name: noise, conf: {bank: b}}\n    vary: snr\n"
     "    levels: [1]\n    unit: d B\n", ":3: condition 'a': unit must be a word such as dB or kbps"),
])
def test_a_bad_grid_names_file_and_line(tmp_path, text, message):
    from aecomp.config import ConfigError

    path = write_grid(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_grid(path)
    assert f"{path}{message}" in str(err.value)


def test_a_bad_corruption_fails_before_any_set_is_written(mini_data, tmp_path):
    """The CLI: a misspelt conf key of a corruption stops with file and line; no set is written."""
    path = write_grid(tmp_path, NOISE_GRID.replace("bank: noise_test_seen", "bnak: noise_test_seen"))
    proc = run_cli("make-evalsets", "--config", str(path), "--test", str(mini_data / "test"), "--data_dir",
                   str(mini_data), "--out_dir", str(tmp_path / "eval"), check=False)
    assert proc.returncode != 0
    assert f"{path}:5 (set seen_10dB)" in proc.stderr and "bnak" in proc.stderr
    assert not (tmp_path / "eval").exists()


def test_recipe_grids_are_today_s_grid():
    """Both recipes: clean, then seen and unseen noise at 20, 10, 0 and -5 dB (the run_all budget: 12 sets, not
    16 with 15 and 5 dB), reverb at RT60 0.3, 0.6, 0.9 s, eval seed 20240601."""
    for recipe in ("speech_commands/scr1", "librispeech/asr1"):
        from aecomp.data.evalsets import grid_sets

        sets = grid_sets(load_grid(ROOT / "egs" / recipe / "conf" / "eval.yaml"))
        assert [s.name for s in sets] == ["clean"] + [f"{c}_{v}dB" for c in ("seen", "unseen")
                                                     for v in (20, 10, 0, -5)] + \
            ["reverb_0.3s", "reverb_0.6s", "reverb_0.9s"]
        assert load_grid(ROOT / "egs" / recipe / "conf" / "eval.yaml").seed == 20240601
        assert sets[1].spec == {"name": "noise", "conf": {"bank": "noise_test_seen", "snr": 20}}


def test_a_malformed_evalset_is_refused_before_it_is_moved_into_place(mini_data, tmp_path, monkeypatch):
    import aecomp.data.evalsets as evalsets
    from aecomp.data.datadir import DataDirError

    test = DataDir.load(mini_data / "test")
    first = test.utts[0]
    real_write = evalsets.write_audio

    def write_first_empty(path, wav, sample_rate):  # a mixture that came out as a 0-byte file
        if Path(path).name == f"{first}.flac":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_bytes(b"")
        else:
            real_write(path, wav, sample_rate)

    monkeypatch.setattr(evalsets, "write_audio", write_first_empty)
    grid = load_grid(write_grid(tmp_path, NOISE_GRID.replace("[10, 0]", "[0]")))
    with pytest.raises(DataDirError) as err:
        make_evalsets(test, grid, tmp_path / "eval", 16000, data_dir=mini_data)
    message = str(err.value)
    assert f"{tmp_path / 'eval' / 'seen_0dB' / 'wav.scp'}:1: '{first}'" in message and "is empty (0 bytes)" in message
    assert f"evaluation set {tmp_path / 'eval' / 'seen_0dB'} was not written" in message
    assert sorted(p.name for p in (tmp_path / "eval").iterdir()) == ["clean"]  # no set, no temporary folder


def test_the_codec_grid_keeps_the_noise_grid():
    """conf/eval_codecs.yaml adds sets: every set of conf/eval.yaml is in it with the same corruption and seed,
    so its meta.json matches and stage 3 keeps it (no rebuild, same audio, same scores)."""
    from aecomp.data.evalsets import grid_sets

    conf = ROOT / "egs" / "speech_commands" / "scr1" / "conf"
    base, codecs = load_grid(conf / "eval.yaml"), load_grid(conf / "eval_codecs.yaml")
    assert base.seed == codecs.seed and base.noise_reference == codecs.noise_reference
    specs = {s.name: (s.spec, s.condition.family) for s in grid_sets(codecs)}
    for s in grid_sets(base):
        assert specs.pop(s.name) == (s.spec, s.condition.family), s.name
    assert sorted(specs) == ["aac_32kbps", "aac_64kbps", "mp3_32kbps", "mp3_64kbps", "opus_64kbps",
                             "seen_opus_0dB", "seen_opus_10dB", "seen_opus_20dB"]
    assert specs["mp3_32kbps"][0] == {"name": "codec", "conf": {"codec": "mp3", "bitrate": 32}}


def test_a_missing_noise_bank_names_the_grid_place_and_an_already_noisy_set_is_as_is(mini_data, tmp_path):
    from aecomp.errors import AecompError

    path = write_grid(tmp_path, "seed: 1\nconditions:\n  - name: test\n  - name: x\n"
                                "    corruption: {name: noise, conf: {bank: nosuch}}\n    vary: snr\n    levels: [0]\n"
                                "    unit: dB\n")
    test = DataDir.load(mini_data / "test")
    with pytest.raises(AecompError) as err:
        make_evalsets(test, load_grid(path), tmp_path / "eval", 16000, data_dir=mini_data)
    assert f"{path}:4 (set x_0dB): utterance {test.utts[0]} of {test.path}:" in str(err.value)
    assert f"{mini_data / 'nosuch'}: data directory does not exist" in str(err.value)
    assert sorted(p.name for p in (tmp_path / "eval").iterdir()) == ["test"]  # nothing half-written
    assert read_meta(tmp_path / "eval" / "test")["family"] == "as-is"  # no family given: not called clean
