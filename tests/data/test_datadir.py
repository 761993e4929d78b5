"""Kaldi-style data directories: reading, writing, validation of malformed inputs, every wav.scp form."""

from __future__ import annotations

import os

import numpy as np
import pytest

from aecomp.data.datadir import DataDir, DataDirError, check_datadir, read_table, write_datadir

from conftest import run_cli, tone, write_wav


@pytest.fixture
def good(tmp_path):
    wavs = {f"spk{s}-utt{i}": write_wav(tmp_path / "audio" / f"{s}_{i}.wav", tone(seed=s * 10 + i))
            for s in (1, 2) for i in (1, 2)}
    write_datadir(tmp_path / "d", {
        "wav.scp": {u: str(p) for u, p in wavs.items()},
        "text": {u: "yes" for u in wavs},
        "utt2spk": {u: u.split("-")[0] for u in wavs},
    })
    return tmp_path / "d"


def test_roundtrip_and_derived_spk2utt(good):
    d = DataDir.load(good)
    assert d.utts == ["spk1-utt1", "spk1-utt2", "spk2-utt1", "spk2-utt2"]
    assert d.get("spk2utt") == {"spk1": "spk1-utt1 spk1-utt2", "spk2": "spk2-utt1 spk2-utt2"}
    assert d.audio("spk1-utt1", 16000).shape == (8000,)
    assert abs(d.durations()["spk2-utt2"] - 0.5) < 1e-9
    assert check_datadir(good, check_audio=True, sample_rate=16000) == []


def test_write_is_atomic_and_refuses_bad_tables(tmp_path, good):
    before = (good / "text").read_text()
    with pytest.raises(DataDirError, match="nothing was written"):
        write_datadir(good, {"wav.scp": {"a": "/does/not/exist.wav"}, "text": {"a": "x"}})
    assert (good / "text").read_text() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".d.")], "temporary folder left behind"


def test_atomic_outputs_get_the_permissions_of_a_plain_write(tmp_path):
    from aecomp.fs import atomic_dir, atomic_write_text

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
        with atomic_dir(tmp_path / "d") as d:
            (d / "f").write_text("y")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o755


def _corrupt(good, name, text):
    (good / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return [str(p) for p in check_datadir(good)]


def test_line_without_value(good):
    problems = _corrupt(good, "text", "spk1-utt1 yes\nspk1-utt2\nspk2-utt1 yes\nspk2-utt2 yes\n")
    assert any(p.startswith(f"{good}/text:2: 'spk1-utt2' has no value") for p in problems)


def test_duplicate_ids(good):
    lines = (good / "wav.scp").read_text().splitlines()
    problems = _corrupt(good, "wav.scp", "\n".join(lines[:2] + [lines[1]] + lines[2:]) + "\n")
    assert any(":3: duplicate key 'spk1-utt2' (first on line 2)" in p for p in problems)


def test_unsorted(good):
    lines = (good / "utt2spk").read_text().splitlines()
    problems = _corrupt(good, "utt2spk", "\n".join([lines[1], lines[0]] + lines[2:]) + "\n")
    assert any(f"{good}/utt2spk:2: not sorted" in p and "LC_ALL=C sort" in p for p in problems)


def test_mismatched_tables(good):
    problems = _corrupt(good, "text", "spk1-utt1 yes\nspk1-utt2 yes\nspk2-utt1 yes\nzz-extra yes\n")
    assert any("text: 1 key(s) not in wav.scp, e.g. zz-extra" in p for p in problems)
    assert any("text: 1 utterance(s) of wav.scp missing, e.g. spk2-utt2" in p for p in problems)


def test_non_utf8_text(good):
    problems = _corrupt(good, "text", b"spk1-utt1 yes\nspk1-utt2 \xff\xfe\nspk2-utt1 yes\nspk2-utt2 yes\n")
    assert any(f"{good}/text:2: not UTF-8" in p for p in problems)


def test_empty_transcript_line(good):
    problems = _corrupt(good, "text", "spk1-utt1 yes\nspk1-utt2 yes\n\nspk2-utt1 yes\nspk2-utt2 yes\n")
    assert any(f"{good}/text:3: empty line" in p for p in problems)


def test_missing_and_empty_audio(good, tmp_path):
    lines = (good / "wav.scp").read_text().splitlines()
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    lines[0] = f"spk1-utt1 {tmp_path}/gone.wav"
    lines[1] = f"spk1-utt2 {empty}"
    problems = _corrupt(good, "wav.scp", "\n".join(lines) + "\n")
    assert any(f"wav.scp:1: 'spk1-utt1': audio file {tmp_path}/gone.wav does not exist" in p for p in problems)
    assert any("wav.scp:2: 'spk1-utt2'" in p and "is empty (0 bytes)" in p for p in problems)


def test_load_reports_every_problem_at_once(good):
    (good / "text").write_text("spk1-utt2 yes\nspk1-utt1\n")
    with pytest.raises(DataDirError) as err:
        DataDir.load(good)
    assert len(err.value.problems) >= 3 and "aecomp validate" in str(err.value)


def test_audio_checks(good, tmp_path):
    lines = (good / "wav.scp").read_text().splitlines()
    nan = np.full(800, np.nan, dtype=np.float32)
    lines[0] = f"spk1-utt1 {write_wav(tmp_path / 'nan.wav', nan, subtype='FLOAT')}"
    lines[1] = f"spk1-utt2 {write_wav(tmp_path / 'zero.wav', np.zeros(800, np.float32))}"
    lines[2] = f"spk2-utt1 {write_wav(tmp_path / 'rate.wav', tone(), sr=8000)}"
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage")
    lines[3] = f"spk2-utt2 {broken}"
    (good / "wav.scp").write_text("\n".join(lines) + "\n")
    problems = [str(p) for p in check_datadir(good, check_audio=True, sample_rate=16000)]
    assert any("wav.scp:1" in p and "NaN or Inf" in p for p in problems)
    assert any("wav.scp:2" in p and "silent" in p for p in problems)
    assert any("wav.scp:3" in p and "sample rate 8000 Hz; resampled to 16000 Hz" in p for p in problems)
    assert any("wav.scp:4" in p and "cannot read audio" in p for p in problems)
    proc = run_cli("validate", str(good), "--sample_rate", "16000", check=False)
    assert proc.returncode == 1 and "wav.scp:1" in proc.stdout and "wav.scp:3" not in proc.stdout
    assert "1 file(s) fixed up when loaded (resampled to 16000 Hz when loaded)" in proc.stderr


def test_truncated_wav_and_flac_are_reported(good, tmp_path):
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, 16000).astype(np.float32)  # 1 s
    cut_wav = write_wav(tmp_path / "cut.wav", noise)
    cut_wav.write_bytes(cut_wav.read_bytes()[:44 + 200])           # header + 200 bytes = 100 samples
    cut_flac = write_wav(tmp_path / "cut.flac", noise)
    cut_flac.write_bytes(cut_flac.read_bytes()[:cut_flac.stat().st_size // 2])
    lines = (good / "wav.scp").read_text().splitlines()
    lines[0], lines[2] = f"spk1-utt1 {cut_wav}", f"spk2-utt1 {cut_flac}"
    (good / "wav.scp").write_text("\n".join(lines) + "\n")
    proc = run_cli("validate", str(good), check=False)
    assert proc.returncode == 1 and "OK" not in proc.stderr
    out = proc.stdout.splitlines()
    assert f"{good}/wav.scp:1: 'spk1-utt1': {cut_wav} is truncated: header announces 16000 samples, file holds 100" \
        in out[0]
    assert f"{good}/wav.scp:3: 'spk2-utt1': {cut_flac} is truncated: header announces 16000 samples, file holds" \
        in out[1]
    assert 0 < int(out[1].split("file holds ")[1].split(";")[0]) < 16000 and len(out) == 2


def test_fix_ups_are_counted_not_fatal(good, tmp_path):
    lines = (good / "wav.scp").read_text().splitlines()
    stereo = write_wav(tmp_path / "st.wav", __import__("numpy").stack([tone(), tone()], axis=1))
    lines[0] = f"spk1-utt1 {stereo}"
    lines[1] = f"spk1-utt2 {write_wav(tmp_path / 'r.wav', tone(sr=22050), sr=22050)}"
    (good / "wav.scp").write_text("\n".join(lines) + "\n")
    problems = check_datadir(good, check_audio=True, sample_rate=16000)
    assert len(problems) == 2 and not any(p.fatal for p in problems)
    assert "2 channels; averaged to mono" in str(problems[0])
    proc = run_cli("validate", str(good), "--sample_rate", "16000")
    assert "fixed up when loaded (averaged to mono when loaded)" in proc.stderr and proc.stdout == ""
    assert DataDir.load(good).audio("spk1-utt2", 16000).shape == (8000,)


def test_pipe_ark_and_segments(tmp_path):
    import kaldiio

    wav = (tone(1.0) * 32767).astype(np.int16)
    src = write_wav(tmp_path / "src.wav", wav.astype(np.float32) / 32768)
    ark = tmp_path / "a.ark"
    kaldiio.save_ark(str(ark), {"arkutt": (16000, wav)}, scp=str(tmp_path / "a.scp"))
    ark_spec = read_table(tmp_path / "a.scp")["arkutt"]
    write_datadir(tmp_path / "d", {
        "wav.scp": {"rec-ark": ark_spec, "rec-file": str(src), "rec-pipe": f"sox {src} -t wav - |"},
        "segments": {"u1": "rec-ark 0.0 0.5", "u2": "rec-file 0.25 0.75", "u3": "rec-pipe 0 -1"},
        "text": {"u1": "a", "u2": "b", "u3": "c"},
    })
    d = DataDir.load(tmp_path / "d")
    full = wav.astype(np.float32) / 32768
    np.testing.assert_allclose(d.audio("u1", 16000), full[:8000], atol=1e-4)
    np.testing.assert_allclose(d.audio("u2", 16000), full[4000:12000], atol=1e-4)
    np.testing.assert_allclose(d.audio("u3", 16000), full, atol=1e-4)
    assert d.audio("u2", 8000).shape == (4000,)


def test_segments_pointing_nowhere(tmp_path):
    src = write_wav(tmp_path / "src.wav", tone(1.0))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "wav.scp").write_text(f"rec {src}\n")
    (tmp_path / "d" / "segments").write_text("u1 rec 0 0.5\nu2 other 0 1\nu3 rec 0.7 0.2\nu4 rec zero one\n")
    problems = [str(p) for p in check_datadir(tmp_path / "d")]
    assert any("segments:2: 'u2': recording 'other' is not in wav.scp" in p for p in problems)
    assert any("segments:3: 'u3': end <= start" in p for p in problems)
    assert any("segments:4: 'u4': expected 'recording start end'" in p for p in problems)
