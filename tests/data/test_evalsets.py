"""Fixed-SNR evaluation sets (aecomp/data/evalsets.py)."""

from __future__ import annotations

import pytest

from aecomp.audio.mixing import measured_snr
from aecomp.data.datadir import DataDir
from aecomp.data.evalsets import make_evalsets


def test_evalsets_hit_their_snr_and_share_noise_across_snrs(mini_data, tmp_path):
    test = DataDir.load(mini_data / "test")
    sets = make_evalsets(test, {"seen": DataDir.load(mini_data / "noise_test_seen")}, [10, 0], tmp_path, 16000, seed=1)
    assert [p.name for p in sets] == ["clean", "seen_snr10", "seen_snr0"]
    hi, lo = DataDir.load(tmp_path / "seen_snr10"), DataDir.load(tmp_path / "seen_snr0")
    utt = test.utts[0]
    for d, snr in ((hi, 10), (lo, 0)):
        noisy, clean = d.audio(utt, 16000), d.audio(utt, 16000, "spk1.scp")
        assert abs(measured_snr(clean, noisy - clean) - snr) < 0.05  # 16-bit FLAC quantisation
    assert (tmp_path / "seen_snr0" / "mix.tsv").read_text().splitlines()[1].split("\t")[1] == \
        (tmp_path / "seen_snr10" / "mix.tsv").read_text().splitlines()[1].split("\t")[1]
    mtime = (tmp_path / "seen_snr0" / "wav.scp").stat().st_mtime_ns
    make_evalsets(test, {"seen": DataDir.load(mini_data / "noise_test_seen")}, [10, 0], tmp_path, 16000, seed=1)
    assert (tmp_path / "seen_snr0" / "wav.scp").stat().st_mtime_ns == mtime, "an unchanged set was rewritten"


def test_a_malformed_evalset_is_refused_before_it_is_moved_into_place(mini_data, tmp_path, monkeypatch):
    from pathlib import Path

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
    with pytest.raises(DataDirError) as err:
        make_evalsets(test, {"seen": DataDir.load(mini_data / "noise_test_seen")}, [0], tmp_path, 16000, seed=1)
    message = str(err.value)
    assert f"{tmp_path / 'seen_snr0' / 'wav.scp'}:1: '{first}'" in message and "is empty (0 bytes)" in message
    assert f"evaluation set {tmp_path / 'seen_snr0'} was not written" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean"]  # no set, no temporary folder
