"""Audio codecs as corruptions: encode and decode for real, return what a listener would get.

Each codec runs at a rate it supports (the input is resampled there and back) and
at a bitrate in kbit/s that it can do (anything else is an error listing what it
can). The decoded signal is sample-aligned with the input: the encoder's delay and
padding are removed from what the container records (the LAME tag of MP3, the
edit list of AAC in MP4, Opus's pre-skip; liblc3's decoder compensates itself), by
a fixed delay where the format records none (SBC 73 and G.722 22 samples, measured;
wideband Speex 223, its lookahead: twice narrowband's 80 plus the 63 of its QMF
filter), and by cross-correlation only for Codec2, a vocoder: ffmpeg does not report
its delay, which depends on the mode, and its output does not follow the waveform
closely enough to measure one fixed delay per mode.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from aecomp.audio.io import resample
from aecomp.corruptions.base import Corrupted, Corruption, CorruptionError
from aecomp.fs import atomic_output
from aecomp.registry import register

#: bitrates (kbit/s) of MP3 by sample rate: MPEG-1, MPEG-2 and MPEG-2.5 layer III
_MP3_1 = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_2 = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
MP3_BITRATES = {**{r: _MP3_1 for r in (32000, 44100, 48000)}, **{r: _MP3_2 for r in (16000, 22050, 24000)},
                **{r: _MP3_2[:8] for r in (8000, 11025, 12000)}}


@dataclass(frozen=True)
class CodecSpec:
    """How one codec is run. ``rates``: sample rates it runs at (the input's when it is one of them, else the
    first); ``bitrates``: the kbit/s it takes, a tuple of values or a ``(low, high)`` range (``ranged``);
    ``delay``: samples (at the codec's rate) to drop at the start, 0 where the container removes it, None to
    find it by cross-correlation; ``tool``: "ffmpeg" (``encoder`` + ``container``, in-process through PyAV
    where its libraries have the encoder) or "lc3" (elc3/dlc3)."""

    encoder: str
    container: str
    rates: Tuple[int, ...]
    bitrates: Tuple[float, ...]
    ranged: bool = False
    delay: Optional[int] = 0
    options: Tuple[Tuple[str, str], ...] = ()  # encoder options, (name, value)
    tool: str = "ffmpeg"
    provider: str = "Debian's ffmpeg (tools/install.sh)"

    def allowed(self, rate: int) -> Tuple[float, ...]:
        if self.encoder == "libmp3lame":
            return MP3_BITRATES[rate]
        if self.encoder == "aac":  # ffmpeg's AAC encoder takes at most 6 bits per sample
            return (self.bitrates[0], 6 * rate / 1000)
        return self.bitrates

    def can_do(self, kbps: float, rate: int) -> bool:
        allowed = self.allowed(rate)
        return allowed[0] <= kbps <= allowed[1] if self.ranged else kbps in allowed

    def describe_bitrates(self, rate: int) -> str:
        allowed = self.allowed(rate)
        return (f"{allowed[0]:g} to {allowed[1]:g}" if self.ranged else ", ".join(f"{b:g}" for b in allowed)) \
            + f" kbit/s at {rate} Hz"


#: codec2's ffmpeg modes by bitrate (kbit/s); modes 700 and 700B are not in Debian's libcodec2
CODEC2_MODES = {3.2: 0, 2.4: 1, 1.6: 2, 1.4: 3, 1.3: 4, 1.2: 5, 0.7: 8}
_GENERAL_RATES = (16000, 48000, 8000, 11025, 12000, 22050, 24000, 32000, 44100)
CODECS = {
    "mp3": CodecSpec("libmp3lame", "mp3", _GENERAL_RATES, ()),
    "aac": CodecSpec("aac", "ipod", _GENERAL_RATES, (8,), ranged=True),
    "he-aac": CodecSpec("libfdk_aac", "ipod", (16000, 22050, 24000, 32000, 44100, 48000), (8, 64), ranged=True,
                        options=(("profile", "aac_he"),),
                        provider="an ffmpeg built with libfdk_aac (./configure --enable-libfdk-aac --enable-nonfree; "
                                 "Debian's ffmpeg has no HE-AAC encoder)"),
    "opus": CodecSpec("libopus", "ogg", (48000,), (6, 256), ranged=True),
    "sbc": CodecSpec("sbc", "sbc", (16000,), (16, 256), ranged=True, delay=73, options=(("strict", "-2"),)),
    "g722": CodecSpec("g722", "g722", (16000,), (64,), delay=22),
    "gsm": CodecSpec("libgsm", "gsm", (8000,), (13,)),
    "speex": CodecSpec("libspeex", "ogg", (16000,), (4, 42), ranged=True, delay=223),
    "codec2": CodecSpec("libcodec2", "codec2", (8000,), tuple(CODEC2_MODES), delay=None),
    "lc3": CodecSpec("lc3", "lc3", (16000, 48000, 8000, 24000, 32000), (16, 320), ranged=True, tool="lc3",
                     provider="Debian's liblc3-tools (elc3, dlc3; tools/install.sh)"),
}


class CodecUnavailable(CorruptionError):
    """A codec whose encoder is not installed here (HE-AAC needs an ffmpeg with libfdk_aac)."""


@lru_cache(maxsize=1)
def ffmpeg_encoders() -> frozenset:
    """The audio encoders of the installed ffmpeg (empty when there is no ffmpeg)."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        return frozenset()
    out = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    return frozenset(line.split()[1] for line in out.splitlines() if line.startswith(" A"))


@lru_cache(maxsize=1)
def coder_versions() -> str:
    """The versions of PyAV and of the ffmpeg program: part of a cached clip's name (``Codec.cached_code``), so
    that another encoder build codes again instead of reading what the old one made."""
    try:
        import av

        pyav = av.__version__
    except Exception:  # no PyAV
        pyav = "none"
    exe = shutil.which("ffmpeg")
    program = subprocess.run([exe, "-version"], capture_output=True, text=True).stdout.split("\n")[0] if exe else "none"
    return f"pyav {pyav}; {program}"


@lru_cache(maxsize=None)
def in_process(encoder: str) -> bool:
    """Whether PyAV (package ``av``, with its own ffmpeg libraries) has ``encoder``. It then codes in-process,
    about ten times faster than ffmpeg subprocesses (bench/codec_speed.py); PyAV's wheels lack libgsm,
    libspeex and libcodec2, which run through the ffmpeg program instead."""
    try:
        import av

        av.Codec(encoder, "w")
    except Exception:  # no PyAV, or no such encoder in it (av.codec.codec.UnknownCodecError)
        return False
    return True


def missing_tools(spec: CodecSpec) -> Optional[str]:
    """What of ``spec``'s tools is not installed, or None."""
    if spec.tool == "lc3":
        missing = [t for t in ("elc3", "dlc3") if shutil.which(t) is None]
        return " and ".join(missing) or None
    if in_process(spec.encoder):
        return None
    if shutil.which("ffmpeg") is None:
        return "ffmpeg"
    return None if spec.encoder in ffmpeg_encoders() else f"the ffmpeg encoder {spec.encoder}"


@register("corruption", "codec")
class Codec(Corruption):
    """Audio encoded and decoded by a real codec at a bitrate: ``codec`` (mp3, aac, he-aac, opus, sbc, g722, gsm,
    speex, codec2, lc3), ``bitrate`` in kbit/s. The output has the input's length and rate, aligned with it."""

    family = "codec"

    def __init__(self, codec: str, bitrate: float, *, sample_rate: int):
        if codec not in CODECS:
            raise CorruptionError(f"codec: unknown codec '{codec}'; choose one of {', '.join(CODECS)}")
        self.name, self.spec = codec, CODECS[codec]
        self.rate = sample_rate if sample_rate in self.spec.rates else self.spec.rates[0]
        try:
            self.bitrate = float(bitrate)
        except (TypeError, ValueError):
            raise CorruptionError(f"codec {codec}: bitrate must be a number of kbit/s, got {bitrate!r}") from None
        if not self.spec.can_do(self.bitrate, self.rate):
            raise CorruptionError(f"codec {codec}: it cannot code {self.bitrate:g} kbit/s; it can do "
                                  f"{self.spec.describe_bitrates(self.rate)}")
        missing = missing_tools(self.spec)
        if missing:
            raise CodecUnavailable(f"codec {codec}: {missing} is not installed; it comes with {self.spec.provider}")

    #: bytes of decoded audio each codec instance keeps (a codec is deterministic: a training clip drawn for the same
    #: codec in a later epoch, or the fixed validation set, is coded once); the oldest entries go first
    cache_bytes = 256 * 2 ** 20

    def __call__(self, speech: np.ndarray, sample_rate: int, rng: np.random.Generator) -> Corrupted:
        speech = np.asarray(speech, dtype=np.float32)
        key = (sample_rate, hashlib.blake2b(speech.tobytes(), digest_size=16).digest())
        cache = self.__dict__.setdefault("_cache", OrderedDict())
        coded = cache.get(key)
        if coded is None:
            coded = self.cached_code(speech, sample_rate, key[1])
            coded.flags.writeable = False  # shared by every later draw of this clip
            cache[key] = coded
            self._cached = getattr(self, "_cached", 0) + coded.nbytes
            while self._cached > self.cache_bytes and cache:
                self._cached -= cache.popitem(last=False)[1].nbytes
        return Corrupted(coded, speech, None, {"codec": self.name, "bitrate": self.bitrate})

    def cached_code(self, speech: np.ndarray, sample_rate: int, digest: bytes) -> np.ndarray:
        """:meth:`code`, through the directory named by ``$AECOMP_CODEC_CACHE`` when it is set: the decoded clip
        of this codec, bitrate and input (``digest``: a hash of its samples) is read from there if an earlier
        process (another system trained on the same clips) coded it, else coded and written there (atomically:
        a file is whole or absent). Recipe stage 4 sets it to ``data/codec_cache``; delete it at will."""
        root = os.environ.get("AECOMP_CODEC_CACHE")
        if not root:
            return self.code(speech, sample_rate)
        what = repr((self.spec, self.rate, self.bitrate, sample_rate, coder_versions())).encode()
        name = hashlib.blake2b(what + digest, digest_size=16).hexdigest()
        path = Path(root) / name[:2] / f"{name}.npy"
        try:
            coded = np.load(path)
            if coded.shape == speech.shape and coded.dtype == np.float32:
                return coded
        except (OSError, ValueError, EOFError):  # not there yet (or unreadable: coded again and replaced)
            pass
        coded = self.code(speech, sample_rate)
        with atomic_output(path) as tmp:
            np.save(tmp, coded)
        return coded

    def code(self, wav: np.ndarray, sample_rate: int, via: Optional[str] = None) -> np.ndarray:
        """``wav [T]`` at ``sample_rate`` through the codec: ``[T]`` float32, aligned with ``wav``. ``via``
        ("pyav" or "ffmpeg") forces one way for an ffmpeg codec (bench/codec_speed.py compares them);
        default: PyAV where it has the encoder."""
        x = np.clip(resample(np.asarray(wav, dtype=np.float32), sample_rate, self.rate), -1.0, 1.0)
        if self.spec.tool == "lc3":
            coded = self.through_lc3(x)
        elif (via or ("pyav" if in_process(self.spec.encoder) else "ffmpeg")) == "pyav":
            coded = self.through_pyav(x)
        else:
            coded = self.through_ffmpeg(x)
        if self.spec.delay is None:
            coded = align(coded, x, max_delay=self.rate // 10)
        else:
            coded = coded[self.spec.delay:]
        # a decoder's 16-bit PCM output saturates: overshoots of a loud input (a mixture at its 0.99 peak)
        # are clipped, as a listener would get them
        return np.clip(fit(resample(fit(coded, len(x)), self.rate, sample_rate), len(wav)), -1.0, 1.0)

    # the through_* methods: ``x [T]`` at the codec's rate -> what its decoder gives ``[T']``, delay not removed

    def through_pyav(self, x: np.ndarray) -> np.ndarray:
        """In-process through PyAV's ffmpeg libraries (``in_process(encoder)``)."""
        import io

        import av

        with av.open(io.BytesIO(self.encode_pyav(x)), "r",
                     format={"ipod": "mov"}.get(self.spec.container, self.spec.container)) as inp:
            chunks = [frame.to_ndarray()[0] for frame in inp.decode(audio=0)]  # mono: [1, n] planar or packed
        out = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return out.astype(np.float32) / 32768 if out.dtype == np.int16 else out.astype(np.float32)

    def encode_pyav(self, x: np.ndarray) -> bytes:
        """``x [T]`` at the codec's rate encoded in-process: the file its container holds (e.g. Ogg Opus)."""
        import io

        import av

        spec, buf = self.spec, io.BytesIO()
        with av.open(buf, "w", format=spec.container) as out:
            stream = out.add_stream(spec.encoder, rate=self.rate, layout="mono", options=self._options())
            if self.name != "codec2":
                stream.bit_rate = int(round(self.bitrate * 1000))
            frame = av.AudioFrame.from_ndarray(x[None].astype(np.float32), format="flt", layout="mono")
            # timestamps from 0: the packets then start at -(encoder delay), which the container records
            frame.sample_rate, frame.pts, frame.time_base = self.rate, 0, Fraction(1, self.rate)
            for packet in [*stream.encode(frame), *stream.encode(None)]:
                out.mux(packet)
        return buf.getvalue()

    def encoded(self, wav: np.ndarray, sample_rate: int) -> bytes:
        """``wav [T]`` at ``sample_rate`` as the codec's file (Ogg Opus, MP3, ...): what a player reads, e.g.
        a listening example of a results page. An ffmpeg codec only (not lc3)."""
        if self.spec.tool != "ffmpeg":
            raise CorruptionError(f"codec {self.describe()}: only ffmpeg codecs write a file to keep")
        x = np.clip(resample(np.asarray(wav, dtype=np.float32), sample_rate, self.rate), -1.0, 1.0)
        if in_process(self.spec.encoder):
            return self.encode_pyav(x)
        with tempfile.TemporaryDirectory(prefix="aecomp-codec-") as tmp:
            path = Path(tmp) / f"coded.{self.spec.container}"
            self.encode_ffmpeg(x, path)
            return path.read_bytes()

    def through_ffmpeg(self, x: np.ndarray) -> np.ndarray:
        """Through two ffmpeg processes (encode to a file, decode from it)."""
        spec = self.spec
        rate = ["-ar", str(self.rate), "-ac", "1"]
        with tempfile.TemporaryDirectory(prefix="aecomp-codec-") as tmp:
            path = str(Path(tmp) / f"coded.{spec.container}")
            self.encode_ffmpeg(x, path)
            out = self._run(["ffmpeg", "-v", "error", "-f", {"ipod": "mov"}.get(spec.container, spec.container),
                             "-i", path, "-f", "f32le", *rate, "-"])
        return np.frombuffer(out, dtype=np.float32).copy()

    def encode_ffmpeg(self, x: np.ndarray, path) -> None:
        """``x [T]`` at the codec's rate encoded by an ffmpeg process into the file ``path``."""
        rate = ["-ar", str(self.rate), "-ac", "1"]
        level = [] if self.name == "codec2" else ["-b:a", f"{int(round(self.bitrate * 1000))}"]
        options = [a for name, value in self._options().items() for a in (f"-{name}", value)]
        self._run(["ffmpeg", "-v", "error", "-y", "-f", "f32le", *rate, "-i", "-", "-c:a", self.spec.encoder, *level,
                   *options, "-f", self.spec.container, str(path)], x.astype(np.float32).tobytes())

    def through_lc3(self, x: np.ndarray) -> np.ndarray:
        """Through liblc3-tools' elc3 and dlc3."""
        import soundfile as sf

        with tempfile.TemporaryDirectory(prefix="aecomp-codec-") as tmp:
            src, coded, back = Path(tmp) / "in.wav", Path(tmp) / "coded.lc3", Path(tmp) / "out.wav"
            sf.write(src, x, self.rate, subtype="PCM_16")
            self._run(["elc3", "-b", str(int(round(self.bitrate * 1000))), str(src), str(coded)])
            self._run(["dlc3", str(coded), str(back)])
            return sf.read(back, dtype="float32")[0]

    def _options(self) -> Dict[str, str]:
        mode = {"mode": str(CODEC2_MODES[self.bitrate])} if self.name == "codec2" else {}
        return {**dict(self.spec.options), **mode}

    def _run(self, cmd, stdin: Optional[bytes] = None) -> bytes:
        proc = subprocess.run(cmd, input=stdin, capture_output=True)
        if proc.returncode != 0:
            raise CorruptionError(f"codec {self.describe()}: '{' '.join(cmd)}' failed: "
                                  f"{proc.stderr.decode(errors='replace').strip()[-500:]}")
        return proc.stdout

    def describe(self) -> str:
        return f"{self.name} at {self.bitrate:g} kbit/s"


def fit(x: np.ndarray, n: int) -> np.ndarray:
    """``x [T]`` cut or zero-padded (the codec's end padding, resampling's rounding) to ``[n]`` float32."""
    return np.concatenate([x, np.zeros(max(0, n - len(x)), np.float32)])[:n].astype(np.float32)


def align(decoded: np.ndarray, reference: np.ndarray, max_delay: int) -> np.ndarray:
    """``decoded`` shifted by the lag (0..max_delay) that best matches ``reference``, cut to its length."""
    n = len(reference)
    padded = np.concatenate([decoded, np.zeros(max(0, n + max_delay - len(decoded)), dtype=np.float32)])
    spec = np.fft.rfft(padded, 2 * len(padded)) * np.conj(np.fft.rfft(reference, 2 * len(padded)))
    corr = np.fft.irfft(spec)[: max_delay + 1]
    lag = int(np.argmax(corr)) if np.any(reference) else 0
    return padded[lag:lag + n].astype(np.float32)
