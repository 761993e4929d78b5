"""Listening examples kept by evaluation: a few utterances of a set as compressed clips and spectrograms.

``aecomp evaluate --keep_examples N`` keeps, for the first ``N`` utterances (sorted ids: the same
utterances in every set and for every system) of the sets whose names match ``--example_sets``,
in ``<eval>/<set>/examples/``:

- ``<utt>.<role>.ogg``: the clip, Ogg Opus at :data:`CLIP_KBPS` kbit/s (through
  :class:`aecomp.corruptions.codec.Codec`; about 3 kB per second; Chromium, Firefox and Safari play it);
- ``<utt>.<role>.png``: its log-magnitude spectrogram (a palette PNG of :data:`IMAGE_SIZE`, low
  frequencies at the bottom, every role of an utterance on the same dB scale: that of the noisy input);
- ``examples.json``: the set, its condition and level, and per utterance its reference text, the
  system's decoding and the files of each role.

Roles: ``noisy`` (the input), ``clean`` (the reference; ``clean1``, ``clean2``... for several speakers)
and ``estimate`` (the front-end's output; ``estimate1``... for a separator). The results page
(:mod:`aecomp.report_html`) shows them side by side.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from aecomp.fs import atomic_dir

#: Opus bitrate of a kept clip (kbit/s): speech stays intelligible and artefacts of the systems audible
CLIP_KBPS = 24
#: the size of a spectrogram image, (width, height) in pixels
IMAGE_SIZE = (320, 120)
#: dB range shown below the loudest bin of the noisy input
DB_RANGE = 80.0


def chosen(set_name: str, patterns: Sequence[str]) -> bool:
    """Whether ``set_name`` matches one of the shell-style ``patterns`` (``*_0dB``, ``mp3_32kbps``)."""
    return any(fnmatch.fnmatchcase(set_name, p) for p in patterns)


class ExampleKeeper:
    """Collects the examples of one set during evaluation (:meth:`add` per batch), then writes them (:meth:`write`).

    ``utts``: the utterance ids to keep; ``meta``: what ``examples.json`` says about the set."""

    def __init__(self, utts: Sequence[str], sample_rate: int, meta: Optional[dict] = None):
        self.utts, self.sample_rate, self.meta = list(utts), sample_rate, dict(meta or {})
        self.kept: Dict[str, dict] = {}

    def add(self, batch, estimate, hyps: Optional[List[str]] = None) -> None:
        """Keep the wanted utterances of ``batch`` (:class:`aecomp.data.dataset.Batch`): its input, references
        and ``estimate [B, T]`` or ``[B, S, T]`` (None: no front-end output), and ``hyps`` (the decodings)."""
        for i, utt in enumerate(batch.uttids):
            if utt not in self.utts:
                continue
            n = int(batch.lengths[i])
            signals = {"noisy": batch.noisy[i, :n]}
            speakers = batch.n_speakers
            for s in range(speakers):
                signals["clean" if speakers == 1 else f"clean{s + 1}"] = batch.refs[i, s, :n]
            if estimate is not None:
                est = estimate[i] if estimate.dim() == 3 else estimate[i][None]
                for s in range(est.shape[0]):
                    signals["estimate" if est.shape[0] == 1 else f"estimate{s + 1}"] = est[s, :n]
            self.kept[utt] = {"text": batch.texts[i], "hyp": None if hyps is None else hyps[i],
                              "signals": {k: v.detach().float().cpu().numpy() for k, v in signals.items()}}

    def write(self, out_dir: Path) -> Path:
        """Write the clips, images and ``examples.json`` into ``out_dir`` (replaced as a whole, atomically)."""
        from aecomp.corruptions.codec import Codec

        codec = Codec("opus", CLIP_KBPS, sample_rate=self.sample_rate)
        entries = []
        with atomic_dir(out_dir) as tmp:
            for utt in (u for u in self.utts if u in self.kept):
                item = self.kept[utt]
                scale = spectrogram_db(item["signals"]["noisy"], self.sample_rate).max()
                files = {}
                for role, wav in item["signals"].items():
                    stem = f"{safe_name(utt)}.{role}"
                    (tmp / f"{stem}.ogg").write_bytes(codec.encoded(wav, self.sample_rate))
                    spectrogram_png(wav, self.sample_rate, tmp / f"{stem}.png", scale)
                    files[role] = {"audio": f"{stem}.ogg", "image": f"{stem}.png"}
                entries.append({"utt": utt, "text": item["text"], "hyp": item["hyp"], "files": files,
                                "seconds": len(item["signals"]["noisy"]) / self.sample_rate})
            (tmp / "examples.json").write_text(json.dumps(
                {**self.meta, "sample_rate": self.sample_rate, "clip": f"opus {CLIP_KBPS} kbit/s",
                 "examples": entries}, indent=1))
        return out_dir


def safe_name(utt: str) -> str:
    """``utt`` as a file name: characters other than letters, digits, ``-`` and ``_`` become ``_``."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in utt)


def spectrogram_db(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """Log-magnitude STFT ``[F, N]`` in dB (32-ms Hann window, 8-ms hop)."""
    n_fft = 1 << int(np.ceil(np.log2(0.032 * sample_rate)))
    hop = n_fft // 4
    x = np.asarray(wav, np.float64)
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop] * np.hanning(n_fft)
    return 20 * np.log10(np.abs(np.fft.rfft(frames, axis=-1)).T + 1e-8)


def spectrogram_png(wav: np.ndarray, sample_rate: int, path: Path, top_db: float) -> None:
    """A spectrogram image of ``wav`` (``top_db`` is white-hot; :data:`DB_RANGE` below it black) as a palette PNG."""
    from matplotlib import colormaps
    from PIL import Image

    level = np.clip((spectrogram_db(wav, sample_rate) - (top_db - DB_RANGE)) / DB_RANGE, 0.0, 1.0)[::-1]
    rgb = (colormaps["magma"](level)[..., :3] * 255).astype(np.uint8)
    # one size for every clip: short ones stretched in time, so the page's cards line up
    image = Image.fromarray(rgb).resize(IMAGE_SIZE, Image.Resampling.BILINEAR)
    image.quantize(64).save(path, optimize=True)
