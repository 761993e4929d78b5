"""Reverberation from a bank of room impulse responses (aecomp/corruptions/reverb.py)."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.corruptions.base import CorruptionError, build_corruption
from aecomp.data.datadir import DataDir, write_datadir
from aecomp.data.evalsets import load_grid, make_evalsets

from conftest import tone, write_wav


def _bank(tmp_path, rirs: dict, rt60: dict = None):
    """A RIR data directory of the given responses ``id -> [T]`` (utt2rt60 from ``rt60`` where given)."""
    tables = {"wav.scp": {k: str(write_wav(tmp_path / "rirs" / f"{k}.wav", h)) for k, h in rirs.items()}}
    if rt60:
        tables["utt2rt60"] = {k: str(v) for k, v in rt60.items()}
    return write_datadir(tmp_path / "bank", tables)


def _echo(delay: int, direct: int = 40) -> np.ndarray:
    h = np.zeros(direct + delay + 1, dtype=np.float32)
    h[direct], h[direct + delay] = 1.0, 0.5
    return h


def test_response_is_aligned_on_its_direct_path(tmp_path):
    bank = _bank(tmp_path, {"echo": _echo(100)}, {"echo": 0.5})
    reverb = build_corruption({"name": "reverb", "conf": {"bank": str(bank)}}, sample_rate=16000)
    impulse = np.zeros(1000, dtype=np.float32)
    impulse[10] = 0.5
    out = reverb(impulse, 16000, np.random.default_rng(0))
    expected = np.zeros(1000)
    expected[10], expected[110] = 0.5, 0.25  # the direct path at the dry sample, the echo 100 samples later
    np.testing.assert_allclose(out.audio, expected, atol=2e-4)  # 16-bit response
    assert out.noise is None and np.array_equal(out.speech, impulse)
    assert out.info == {"rir_id": "echo", "rt60": 0.5, "gain": 1.0} and not reverb.additive
    assert reverb.family == "reverb" and reverb.describe().endswith("at any RT60")


def test_loud_speech_is_scaled_with_its_reference(tmp_path):
    bank = _bank(tmp_path, {"echo": _echo(3)})  # echo 3 samples later: adds up on a low tone
    reverb = build_corruption({"name": "reverb", "conf": {"bank": str(bank), "rt60": None}}, sample_rate=16000)
    speech = tone(0.2, amp=0.9, freq=100.0)
    out = reverb(speech, 16000, np.random.default_rng(0))
    assert out.info["gain"] < 1.0 and np.abs(out.audio).max() <= 0.99 + 1e-6
    np.testing.assert_allclose(out.speech, speech * out.info["gain"], rtol=1e-6)


def test_rt60_level_and_range_select_responses(tmp_path):
    rirs = {f"r{k}": _echo(50 + k) for k in range(4)}
    bank = _bank(tmp_path, rirs, {"r0": 0.3, "r1": 0.33, "r2": 0.6, "r3": 0.9})

    def drawn(rt60):
        reverb = build_corruption({"name": "reverb", "conf": {"bank": str(bank), "rt60": rt60}}, sample_rate=16000)
        return {reverb(tone(0.1), 16000, np.random.default_rng(i)).info["rir_id"] for i in range(40)}

    assert drawn(0.3) == {"r0", "r1"} and drawn(0.9) == {"r3"} and drawn([0.5, 1.0]) == {"r2", "r3"}
    with pytest.raises(CorruptionError, match=r"no response of .*bank has an RT60 in 1.60-2.40 s \(the bank spans "
                                              r"0.30-0.90 s\): choose an rt60 in that span"):
        drawn(2.0)


def test_missing_bank_and_bad_rt60_are_refused(tmp_path):
    with pytest.raises(CorruptionError, match="reverb: no RIR bank: set conf.bank"):
        build_corruption({"name": "reverb", "conf": {}}, sample_rate=16000)
    bank = _bank(tmp_path, {"echo": _echo(10)}, {"echo": 0.5})
    for bad in (-1, [0.9, 0.2], "long"):
        with pytest.raises(CorruptionError, match="reverb: rt60"):
            build_corruption({"name": "reverb", "conf": {"bank": str(bank), "rt60": bad}}, sample_rate=16000)


def test_rt60_measured_where_the_bank_does_not_say(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(8000) / 16000
    rirs = {name: (rng.standard_normal(8000) * np.exp(-6.91 * t / rt)).astype(np.float32) * 0.5
            for name, rt in (("short", 0.2), ("long", 0.4))}  # exponential decays: 60 dB in rt seconds
    bank = _bank(tmp_path, rirs)
    reverb = build_corruption({"name": "reverb", "conf": {"bank": str(bank), "rt60": 0.4}}, sample_rate=16000)
    assert reverb.ids == ["long"]


def test_reverb_then_noise_chain(mini_data):
    chain = build_corruption({"name": "chain", "conf": {"steps": [
        {"name": "reverb", "conf": {"bank": "rirs_test", "rt60": 0.6}},
        {"name": "noise", "conf": {"snr": 5, "bank": "noise_train"}}]}}, sample_rate=16000, data_dir=mini_data)
    speech = tone(1.0)
    out = chain(speech, 16000, np.random.default_rng(0))
    assert out.noise is None and not chain.additive and out.info["snr_db"] == 5.0
    assert 0.48 <= out.info["1.rt60"] <= 0.72
    np.testing.assert_allclose(out.speech, speech * out.info["gain"], rtol=1e-6)


def test_grid_with_a_reverb_condition(mini_data, tmp_path):
    grid = tmp_path / "eval.yaml"
    grid.write_text("seed: 1\nconditions:\n  - name: reverb\n    corruption: {name: reverb, conf: {bank: rirs_test}}\n"
                    "    vary: rt60\n    levels: [0.3, 0.9]\n    unit: s\n")
    test = DataDir.load(mini_data / "test")
    made = make_evalsets(test, load_grid(grid), tmp_path / "eval", 16000, data_dir=mini_data)
    assert [p.name for p, _ in made] == ["reverb_0.3s", "reverb_0.9s"]
    rt60 = {}
    for path, _ in made:
        rows = (path / "corruption.tsv").read_text().splitlines()
        col = rows[0].split("\t").index("rt60")
        rt60[path.name] = {float(r.split("\t")[col]) for r in rows[1:]}
        d = DataDir.load(path)
        utt = test.utts[0]
        assert len(d.audio(utt, 16000)) == len(d.audio(utt, 16000, "spk1.scp"))
    assert all(0.24 <= v <= 0.36 for v in rt60["reverb_0.3s"]) and all(0.72 <= v <= 1.08 for v in rt60["reverb_0.9s"])
