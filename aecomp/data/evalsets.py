"""Fixed-SNR evaluation sets: the test speech mixed offline with test noise, written to disk.

For every noise condition (``seen``, ``unseen``, ...) each test utterance gets
one noise segment (recording and offset drawn from a generator seeded by the
seed, the condition and the utterance), mixed at every SNR of the grid: the
sets of a condition differ only in level. Layout under ``out_dir``::

    clean/                  the test set as it is (meta.json: condition clean)
    <condition>_snr<X>/     wav.scp -> wav/<utt>.flac (noisy), spk1.scp -> clean
                            reference, text, utt2spk, utt2dur, meta.json, mix.tsv

``meta.json`` records condition, SNR, seed and sources; a set whose
``meta.json`` matches the request is not written again. Each set is made in a
temporary directory and checked there; only a set without problems is moved
into place (otherwise :class:`~aecomp.data.datadir.DataDirError`).
"""

from __future__ import annotations

import json
import logging
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Mapping, Sequence

import numpy as np

from aecomp.audio.io import write_audio
from aecomp.audio.mixing import mix_at_snr
from aecomp.data.datadir import DataDir, write_checked_tables, write_datadir, write_table
from aecomp.data.dataset import NoiseBank
from aecomp.fs import atomic_dir, atomic_write_text

log = logging.getLogger(__name__)

COPIED = ("text", "utt2spk", "utt2dur")


def set_name(condition: str, snr_db: float) -> str:
    return f"{condition}_snr{snr_db:g}"


def make_evalsets(test: DataDir, noises: Mapping[str, DataDir], snrs: Sequence[float], out_dir: str | Path,
                  sample_rate: int, seed: int = 0, nj: int = 1) -> List[Path]:
    """Write the clean set and one set per (condition, SNR); returns their directories."""
    out_dir = Path(out_dir)
    written = [_clean_set(test, out_dir / "clean")]
    for condition, noise_dir in noises.items():
        todo = []
        for snr in snrs:
            meta = {"condition": condition, "snr_db": float(snr), "seed": seed, "sample_rate": sample_rate,
                    "test": str(test.path), "noise": str(noise_dir.path)}
            path = out_dir / set_name(condition, snr)
            if _meta(path) == meta:
                log.info("evaluation set %s exists; kept", path)
                written.append(path)
            else:
                todo.append((snr, meta, path))
        if todo:
            written += _mixed_sets(test, NoiseBank(noise_dir, sample_rate), condition, todo, sample_rate, seed, nj)
    return written


def _clean_set(test: DataDir, path: Path) -> Path:
    meta = {"condition": "clean", "snr_db": None, "test": str(test.path)}
    if _meta(path) == meta:
        return path
    tables = {k: v for k, v in test.tables.items() if k not in ("spk2utt",)}
    write_datadir(path, tables)
    atomic_write_text(path / "meta.json", json.dumps(meta, indent=1))
    log.info("evaluation set clean (%d utterances) -> %s", len(test), path)
    return path


def _mixed_sets(test: DataDir, bank: NoiseBank, condition: str, todo, sample_rate: int, seed: int, nj: int):
    utts = test.utts
    needs_clean_copy = test.has("segments") or any(
        test.tables["wav.scp"][u].endswith("|") for u in utts if u in test.tables["wav.scp"])
    noise_seconds = bank.data.durations()
    out = []
    for snr, meta, path in todo:
        with atomic_dir(path) as tmp:
            def mix_one(i: int):
                utt = utts[i]
                speech = test.audio(utt, sample_rate)
                rng = np.random.default_rng([seed, zlib.crc32(condition.encode()), i])
                segment, noise_id = bank.segment(len(speech), rng)
                mix = mix_at_snr(speech, segment, snr, rng, speech_name=f"{test.path} ({utt})",
                                 noise_name=f"{bank.data.path} ({noise_id})")
                write_audio(tmp / "wav" / f"{utt}.flac", mix.mixture, sample_rate)
                if needs_clean_copy:
                    write_audio(tmp / "wav" / f"{utt}.clean.flac", mix.speech, sample_rate)
                return utt, noise_id, mix.gain, noise_seconds[noise_id] * sample_rate < len(speech)

            with ThreadPoolExecutor(max(1, nj)) as pool:
                rows = list(pool.map(mix_one, range(len(utts))))

            def tables_under(root: Path) -> Dict[str, dict]:
                tables = {"wav.scp": {u: str(root / "wav" / f"{u}.flac") for u in utts},
                          "spk1.scp": {u: (str(root / "wav" / f"{u}.clean.flac") if needs_clean_copy
                                           else test.tables["wav.scp"][u]) for u in utts}}
                return {**tables, **{name: test.get(name) for name in COPIED if test.has(name)}}

            # checked while the audio lies in the temporary directory, then pointed at the final place
            write_checked_tables(tmp, path, tables_under(tmp.resolve()),
                                 hint=f"(evaluation set {path} was not written; check the test set with "
                                      f"'aecomp validate {test.path}')")
            final = tables_under(path.resolve())
            for name in ("wav.scp", "spk1.scp"):
                write_table(tmp / name, final[name])
            atomic_write_text(tmp / "mix.tsv", "utt\tnoise\tgain\tlooped\n" + "".join(
                f"{u}\t{n}\t{g:.4f}\t{int(lp)}\n" for u, n, g, lp in rows))
            looped = sum(r[3] for r in rows)
            if looped:
                log.warning("%s: noise looped for %d of %d utterances (recording shorter than the speech)",
                            path, looped, len(rows))
            atomic_write_text(tmp / "meta.json", json.dumps(meta, indent=1))
        log.info("evaluation set %s: %d utterances at %g dB -> %s", condition, len(utts), snr, path)
        out.append(path)
    return out


def _meta(path: Path):
    f = path / "meta.json"
    return json.loads(f.read_text()) if f.is_file() else None


def read_meta(path: str | Path) -> dict:
    """The ``meta.json`` of an evaluation set, or a 'custom' description for any other data dir."""
    meta = _meta(Path(path))
    return meta if meta is not None else {"condition": Path(path).name, "snr_db": None}
