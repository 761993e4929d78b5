"""A real browser for the results-page tests: Debian's headless Chromium loads a page from disk (file://).

:func:`check_page` asserts what a reader needs: every image and audio element the rendered DOM holds
points to a local file that exists and decodes (PNG through PIL, audio through soundfile), nothing is
fetched from the network, and the page renders (a screenshot that is not blank).
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Tuple
from urllib.parse import unquote, urlparse

import numpy as np

#: the flags that keep a headless Chromium off the network and out of the user's profile
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--mute-audio", "--hide-scrollbars"]


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise AssertionError("chromium is not installed: the results page's browser test needs it "
                             "(tools/install.sh installs Debian's chromium; or apt-get install chromium)")
    return exe


def run(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args, page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc


class Sources(HTMLParser):
    """The ``src``/``href`` of every element of a document: ``(tag, attribute, value)``."""

    def __init__(self):
        super().__init__()
        self.found: List[Tuple[str, str, str]] = []
        self.tags: Dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.found.append((tag, name, value))


def dom_sources(page: Path, profile: Path) -> Sources:
    """The page's DOM as Chromium built it (``--dump-dom``), parsed."""
    dom = run(page, profile, "--dump-dom").stdout
    assert "</html>" in dom, f"chromium gave no DOM for {page}: {dom[:500]}"
    parser = Sources()
    parser.feed(dom)
    return parser


def screenshot(page: Path, profile: Path, out: Path, size: Tuple[int, int]) -> np.ndarray:
    """A screenshot of ``page`` in a ``size`` (width, height) window, as an RGB array ``[H, W, 3]``."""
    from PIL import Image

    run(page, profile, f"--screenshot={out}", f"--window-size={size[0]},{size[1]}")
    with Image.open(out) as image:
        return np.asarray(image.convert("RGB"))


def check_page(page: Path, tmp: Path, size: Tuple[int, int] = (412, 1400)) -> Dict[str, int]:
    """Load ``page`` in Chromium and check its images, clips and rendering; returns how many of each it holds
    (``img``, ``audio``, ``links``). The screenshot (``tmp/screenshot.png``, a phone-wide window) must show
    something: its pixels vary and no single colour fills 99 % of it."""
    import soundfile as sf
    from PIL import Image

    page = Path(page)
    parser = dom_sources(page, tmp / "profile")
    counts = {"img": 0, "audio": 0, "links": 0}
    for tag, attr, value in parser.found:
        url = urlparse(value)
        assert url.scheme in ("", "file") and not value.startswith("//"), \
            f"{page}: <{tag} {attr}={value!r}> would load from the network"
        if tag == "a" and (not url.path or value.startswith("#")):
            continue  # an anchor within the page
        path = Path(unquote(url.path)) if url.scheme == "file" else page.parent / unquote(url.path)
        assert path.is_file(), f"{page}: <{tag} {attr}={value!r}> names {path}, which does not exist"
        if tag == "img":
            with Image.open(path) as image:
                assert image.format == "PNG", f"{path}: {image.format}, not PNG"
                image.load()  # decodes the whole image
                assert image.width > 8 and image.height > 8, f"{path}: {image.size}"
            counts["img"] += 1
        elif tag in ("audio", "source"):
            wav, rate = sf.read(path)
            assert rate > 0 and len(wav) > rate // 10 and np.isfinite(wav).all() and np.abs(wav).max() > 0, \
                f"{path}: decodes to {len(wav)} samples at {rate} Hz"
            counts["audio"] += 1
        else:
            counts["links"] += 1
    pixels = screenshot(page, tmp / "profile", tmp / "screenshot.png", size)
    assert pixels.shape[:2] == (size[1], size[0]), pixels.shape
    colours, share = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    assert pixels.std() > 10 and share.max() / share.sum() < 0.99, \
        f"the screenshot of {page} is blank (std {pixels.std():.1f}, {len(colours)} colours)"
    return counts
