"""Kaldi-style data directories: read, write and validate.

A data directory holds text tables, one ``key value`` pair per line, sorted
by key (byte order, as ``LC_ALL=C sort``):

============== ================================================================
``wav.scp``     utterance (or recording, with ``segments``) -> audio: a path, a
                command ending in ``|``, or an ``ark:offset`` entry
``text``        utterance -> transcript, or the class label (as ESPnet's cls1)
``utt2spk``     utterance -> speaker; ``spk2utt`` is derived from it
``utt2dur``     utterance -> duration in seconds
``segments``    utterance -> ``recording start end`` (seconds)
``spk1.scp``    utterance -> clean reference of speaker 1 (``spk2.scp`` ...)
``noise1.scp``  utterance -> the noise as added to the mixture
``utt2category`` utterance -> a category (noise type of a noise list)
``utt2rt60``     utterance -> reverberation time in seconds (a room impulse response list)
============== ================================================================

Enhancement sets follow ESPnet's enh convention: ``wav.scp`` is the noisy
mixture, ``spk1.scp`` the clean target.
"""

from __future__ import annotations

from aecomp.errors import AecompError

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np

from aecomp.audio.io import AudioError, read_audio
from aecomp.fs import atomic_dir, atomic_write_text

#: tables every data directory may hold; anything else in the folder is ignored
TABLES = (
    "wav.scp", "text", "utt2spk", "spk2utt", "utt2dur", "segments", "utt2category", "utt2rt60",
    "spk1.scp", "spk2.scp", "spk3.scp", "noise1.scp",
)
#: tables keyed by utterance whose keys must equal the utterance list
PER_UTT = ("text", "utt2spk", "utt2dur", "utt2category", "utt2rt60", "spk1.scp", "spk2.scp", "spk3.scp",
           "noise1.scp")


@dataclass
class Problem:
    """One thing wrong in a data directory, located to the line.

    ``fatal`` problems stop the recipe; the others are fixed up when the audio
    is loaded (resampled, downmixed) and only counted.
    """

    file: str
    line: Optional[int]
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class DataDirError(AecompError, ValueError):
    """A data directory is malformed; ``problems`` lists every fault found."""

    def __init__(self, problems: List[Problem], hint: str = ""):
        self.problems = problems
        shown = "\n  ".join(str(p) for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s):\n  {shown}{more}" + (f"\n{hint}" if hint else ""))


# -- tables --------------------------------------------------------------------------
def read_table(path: str | Path, problems: Optional[List[Problem]] = None) -> Dict[str, str]:
    """``key -> value`` of a ``key value`` table (value = rest of the line).

    Faults (undecodable bytes, a key without value, a duplicate key) raise
    :class:`DataDirError`, or are appended to ``problems`` when it is given
    (the faulty line is then left out).
    """
    path = Path(path)
    collect = problems is not None
    found: List[Problem] = problems if collect else []
    table: Dict[str, str] = {}
    first_line: Dict[str, int] = {}
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                found.append(Problem(str(path), lineno, f"not UTF-8 ({exc.reason} at byte {exc.start}); "
                                     "re-encode the file as UTF-8"))
                continue
            if not line.strip():
                found.append(Problem(str(path), lineno, "empty line"))
                continue
            parts = line.strip().split(maxsplit=1)
            if len(parts) < 2:
                found.append(Problem(str(path), lineno, f"'{parts[0]}' has no value"))
                continue
            key, value = parts
            if key in table:
                found.append(Problem(str(path), lineno,
                                     f"duplicate key '{key}' (first on line {first_line[key]})"))
                continue
            table[key] = value
            first_line[key] = lineno
    if found and not collect:
        raise DataDirError(found)
    return table


def write_table(path: str | Path, table: Mapping[str, object]) -> None:
    """Write ``table`` sorted by key, atomically."""
    lines = []
    for key in sorted(table):
        value = str(table[key])
        if not key or any(c.isspace() for c in key):
            raise ValueError(f"{path}: key {key!r} is empty or contains whitespace")
        if "\n" in value or not value.strip():
            raise ValueError(f"{path}: value of '{key}' is empty or spans lines: {value!r}")
        lines.append(f"{key} {value}\n")
    atomic_write_text(path, "".join(lines))


def spk2utt_from(utt2spk: Mapping[str, str]) -> Dict[str, str]:
    out: Dict[str, List[str]] = {}
    for utt in sorted(utt2spk):
        out.setdefault(utt2spk[utt], []).append(utt)
    return {spk: " ".join(utts) for spk, utts in out.items()}


# -- data directory ------------------------------------------------------------------
@dataclass
class DataDir:
    """The tables of one data directory, read into memory.

    ``tables[name]`` maps keys to values for every table file present.
    """

    path: Path
    tables: Dict[str, Dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> "DataDir":
        """Read and check ``path``; every fault is reported at once in a :class:`DataDirError`."""
        path = Path(path)
        problems = [p for p in check_datadir(path) if p.fatal]
        if problems:
            raise DataDirError(problems, hint=f"Run 'aecomp validate {path}' for a full check.")
        return cls(path, {name: read_table(path / name) for name in TABLES if (path / name).is_file()})

    # convenient views
    @property
    def utts(self) -> List[str]:
        """Utterance ids, sorted."""
        keys = self.tables["segments"] if "segments" in self.tables else self.tables["wav.scp"]
        return sorted(keys)

    def get(self, name: str) -> Dict[str, str]:
        return self.tables.get(name, {})

    def has(self, name: str) -> bool:
        return name in self.tables

    def __len__(self) -> int:
        return len(self.utts)

    def audio_spec(self, utt: str, table: str = "wav.scp") -> Tuple[str, float, Optional[float], str]:
        """``(spec, start, end, where)`` locating the audio of ``utt`` in ``table``."""
        if table == "wav.scp" and "segments" in self.tables:
            rec, start, end = self.tables["segments"][utt].split()
            return self.tables["wav.scp"][rec], float(start), float(end), f"{self.path}/segments ({utt})"
        return self.tables[table][utt], 0.0, None, f"{self.path}/{table} ({utt})"

    def audio(self, utt: str, sample_rate: Optional[int], table: str = "wav.scp") -> np.ndarray:
        """Samples ``[T]`` of ``utt`` from ``table`` (``wav.scp``, ``spk1.scp``, ...)."""
        spec, start, end, where = self.audio_spec(utt, table)
        return read_audio(spec, sample_rate, start=start, end=end, where=where)

    def durations(self) -> Dict[str, float]:
        """utterance -> seconds, from ``utt2dur`` or ``segments`` or the audio headers."""
        if "utt2dur" in self.tables:
            return {u: float(v) for u, v in self.tables["utt2dur"].items()}
        if "segments" in self.tables:
            return {u: float(v.split()[2]) - float(v.split()[1]) for u, v in self.tables["segments"].items()}
        return compute_durations(self.tables["wav.scp"])

    def subset(self, utts: Iterable[str]) -> "DataDir":
        """A new in-memory DataDir restricted to ``utts`` (path unchanged)."""
        keep = set(utts)
        tables = {}
        for name, table in self.tables.items():
            if name in ("wav.scp",) and "segments" in self.tables:
                recs = {self.tables["segments"][u].split()[0] for u in keep}
                tables[name] = {k: v for k, v in table.items() if k in recs}
            elif name == "spk2utt":
                continue
            else:
                tables[name] = {k: v for k, v in table.items() if k in keep}
        if "utt2spk" in tables:
            tables["spk2utt"] = spk2utt_from(tables["utt2spk"])
        return DataDir(self.path, tables)


def compute_durations(wav_scp: Mapping[str, str]) -> Dict[str, float]:
    """utterance -> seconds, read from audio headers (pipes and arks are read whole)."""
    from aecomp.audio.io import audio_info, read_audio_native

    out = {}
    for utt, spec in wav_scp.items():
        if os.path.isfile(spec):
            frames, rate, _ = audio_info(spec)
        else:
            wav, rate = read_audio_native(spec, where=f"wav.scp ({utt})")
            frames = len(wav)
        out[utt] = frames / rate
    return out


def write_datadir(path: str | Path, tables: Mapping[str, Mapping[str, object]]) -> Path:
    """Write a data directory atomically: all tables appear together, or none.

    ``spk2utt`` is derived from ``utt2spk``. An existing directory at ``path``
    is replaced. The result is checked with :func:`check_datadir` before it is
    moved into place.
    """
    path = Path(path)
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)}; known: {', '.join(TABLES)}")
    if "wav.scp" not in tables:
        raise ValueError(f"{path}: a data directory needs wav.scp")
    with atomic_dir(path) as tmp:
        write_checked_tables(tmp, path, tables, hint="(nothing was written)")
    return path


def write_checked_tables(tmp: Path, path: Path, tables: Mapping[str, Mapping[str, object]], hint: str) -> None:
    """Write ``tables`` (and ``spk2utt``) into ``tmp``, the temporary directory that becomes ``path``,
    and check it; fatal problems raise :class:`DataDirError` (files named as under ``path``, then ``hint``)."""
    for name, table in tables.items():
        write_table(tmp / name, table)
    if "utt2spk" in tables:
        write_table(tmp / "spk2utt", spk2utt_from(tables["utt2spk"]))
    problems = [p for p in check_datadir(tmp) if p.fatal]
    if problems:
        for p in problems:
            p.file = p.file.replace(str(tmp), str(path))
        raise DataDirError(problems, hint=hint)


def check_datadir(path: str | Path, check_audio: bool = False, sample_rate: Optional[int] = None) -> List[Problem]:
    """Every problem of the data directory ``path`` (an empty list if it is fine); see :class:`Problem`.

    Checks table syntax (UTF-8, ``key value``, duplicates), byte-order sorting,
    that per-utterance tables cover exactly the utterances of ``wav.scp`` (or
    ``segments``), that ``spk2utt`` agrees with ``utt2spk``, that no
    transcript is empty, and that audio files named in ``wav.scp`` exist. With
    ``check_audio``, every audio entry is also read and checked: decodable,
    as long as its header announces (WAV, FLAC), finite samples, not silent;
    another sample rate than ``sample_rate`` and several channels are
    reported as fix-ups (``fatal=False``).
    """
    path = Path(path)
    if not path.is_dir():
        return [Problem(str(path), None, "data directory does not exist")]
    problems: List[Problem] = []
    tables: Dict[str, Dict[str, str]] = {}
    for name in TABLES:
        f = path / name
        if f.is_file():
            tables[name] = read_table(f, problems)
            problems.extend(_check_sorted(f))
    if "wav.scp" not in tables:
        problems.append(Problem(str(path / "wav.scp"), None, "missing: every data directory needs wav.scp"))
        return problems
    utts = set(tables["segments"]) if "segments" in tables else set(tables["wav.scp"])
    for name in PER_UTT:
        if name in tables:
            problems.extend(_check_keys(path / name, tables[name], utts, "segments" if "segments" in tables else "wav.scp"))
    if "segments" in tables:
        recs = set(tables["wav.scp"])
        for lineno, (utt, value) in enumerate(tables["segments"].items(), start=1):
            fields = value.split()
            if len(fields) != 3 or not _is_float(fields[1]) or not _is_float(fields[2]):
                problems.append(Problem(str(path / "segments"), lineno,
                                        f"'{utt}': expected 'recording start end', got '{value}'"))
            elif fields[0] not in recs:
                problems.append(Problem(str(path / "segments"), lineno,
                                        f"'{utt}': recording '{fields[0]}' is not in wav.scp"))
            elif float(fields[2]) <= float(fields[1]) and float(fields[2]) >= 0:
                problems.append(Problem(str(path / "segments"), lineno, f"'{utt}': end <= start"))
    if "text" in tables:
        for lineno, (utt, value) in enumerate(tables["text"].items(), start=1):
            if not value.strip():
                problems.append(Problem(str(path / "text"), lineno, f"'{utt}': empty transcript"))
    if "utt2spk" in tables and "spk2utt" in tables and spk2utt_from(tables["utt2spk"]) != tables["spk2utt"]:
        problems.append(Problem(str(path / "spk2utt"), None,
                                "does not agree with utt2spk; regenerate it from utt2spk"))
    if "utt2dur" in tables:
        for lineno, (utt, value) in enumerate(tables["utt2dur"].items(), start=1):
            if not _is_float(value) or float(value) <= 0:
                problems.append(Problem(str(path / "utt2dur"), lineno, f"'{utt}': bad duration '{value}'"))
    for name in ("wav.scp", "spk1.scp", "spk2.scp", "spk3.scp", "noise1.scp"):
        if name not in tables:
            continue
        for lineno, (key, spec) in enumerate(tables[name].items(), start=1):
            problems.extend(_check_audio_entry(path / name, lineno, key, spec, check_audio, sample_rate))
    return problems


def _check_audio_entry(file: Path, lineno: int, key: str, spec: str, read: bool,
                       sample_rate: Optional[int]) -> List[Problem]:
    is_path = not (spec.endswith("|") or (":" in spec and spec.rpartition(":")[2].isdigit()))
    if is_path and not os.path.isfile(spec):
        return [Problem(str(file), lineno, f"'{key}': audio file {spec} does not exist")]
    if is_path and os.path.getsize(spec) == 0:
        return [Problem(str(file), lineno, f"'{key}': audio file {spec} is empty (0 bytes)")]
    if not read:
        return []
    from aecomp.audio.io import announced_frames, audio_info, decodable_frames, read_audio_native

    announced = announced_frames(spec) if is_path else None
    try:
        channels = audio_info(spec)[2] if is_path else 1
        wav, rate = read_audio_native(spec)
    except (AudioError, RuntimeError) as exc:
        held = decodable_frames(spec) if announced else None
        if held is not None and held < announced:
            return [_truncated(file, lineno, key, spec, announced, held)]
        reason = exc if isinstance(exc, AudioError) else f"cannot read audio {spec}: {exc}"
        return [Problem(str(file), lineno, f"'{key}': {reason}")]
    if announced and len(wav) < announced:  # libsndfile reads what a cut WAV holds without complaint
        return [_truncated(file, lineno, key, spec, announced, len(wav))]
    out = []
    if len(wav) == 0:
        out.append(Problem(str(file), lineno, f"'{key}': audio has no samples"))
    elif not np.all(np.isfinite(wav)):
        out.append(Problem(str(file), lineno, f"'{key}': audio contains NaN or Inf samples"))
    elif not np.any(wav):
        out.append(Problem(str(file), lineno, f"'{key}': audio is silent (all samples are 0)"))
    if sample_rate is not None and rate != sample_rate:
        out.append(Problem(str(file), lineno, f"'{key}': sample rate {rate} Hz; resampled to {sample_rate} Hz "
                                              "when loaded", fatal=False))
    if channels > 1:
        out.append(Problem(str(file), lineno, f"'{key}': {channels} channels; averaged to mono when loaded",
                           fatal=False))
    return out


def _truncated(file: Path, lineno: int, key: str, spec: str, announced: int, held: int) -> Problem:
    return Problem(str(file), lineno, f"'{key}': {spec} is truncated: header announces {announced} samples, "
                                      f"file holds {held}; copy or convert it again from the source")


def _check_sorted(file: Path) -> List[Problem]:
    prev = None
    with open(file, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            key = raw.split(maxsplit=1)[0] if raw.strip() else None
            if key is None:
                continue
            if prev is not None and key < prev:
                return [Problem(str(file), lineno,
                                f"not sorted: '{key.decode(errors='replace')}' comes after "
                                f"'{prev.decode(errors='replace')}'; sort with 'LC_ALL=C sort -o {file} {file}'")]
            prev = key
    return []


def _check_keys(file: Path, table: Mapping[str, str], utts: set, ref: str) -> List[Problem]:
    out = []
    extra = sorted(set(table) - utts)
    missing = sorted(utts - set(table))
    if extra:
        out.append(Problem(str(file), None, f"{len(extra)} key(s) not in {ref}, e.g. {', '.join(extra[:3])}"))
    if missing:
        out.append(Problem(str(file), None, f"{len(missing)} utterance(s) of {ref} missing, e.g. {', '.join(missing[:3])}"))
    return out


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False
