"""Checkpoints: written atomically, loaded without running pickled code.

Everything in a checkpoint is tensors, numbers, strings, lists and dicts, so
it loads with ``torch.load(weights_only=True)``; a file holding any other
pickled object (which could run code when loaded) is refused.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np
import torch

from aecomp.errors import AecompError
from aecomp.fs import atomic_output


class CheckpointError(AecompError, RuntimeError):
    """A checkpoint cannot be written or loaded; the message says which file and why."""


def save_checkpoint(path: str | Path, state: Dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (temporary file, fsync, rename).

    A failure (disk full, say) leaves the previous file at ``path`` intact and
    raises :class:`CheckpointError`.
    """
    path = Path(path)
    try:
        with atomic_output(path) as tmp:
            torch.save(state, tmp)
    except OSError as exc:
        raise CheckpointError(f"could not write checkpoint {path}: {exc}; the previous checkpoint is kept. "
                              "Free disk space and rerun: training resumes from the last good checkpoint") from None


def load_checkpoint(path: str | Path, map_location: Any = "cpu") -> Dict[str, Any]:
    """Load a checkpoint safely (``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        msg = str(exc)
        if "weights_only" in msg or "Unsupported global" in msg or "Unpickler" in msg:
            raise CheckpointError(
                f"refusing to load {path}: it holds pickled Python objects that could run code when "
                "loaded. aecomp checkpoints hold only tensors, numbers and strings; re-export the "
                "weights with torch.save(model.state_dict(), ...) from a trusted environment"
            ) from None
        raise CheckpointError(f"checkpoint {path} is unreadable ({type(exc).__name__}: {exc}); "
                              "it may be truncated: delete it to fall back to an earlier one") from None


def rng_state() -> Dict[str, Any]:
    """Every random generator's state, as checkpoint-safe values."""
    np_state = np.random.get_state()
    state = {
        "python": _to_lists(random.getstate()),
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _to_lists(x):
    return [_to_lists(v) for v in x] if isinstance(x, tuple) else x


def newest_checkpoint(folder: Path) -> Optional[Path]:
    """The checkpoint named by ``folder/latest``, else the newest readable ``*.pt`` by name."""
    folder = Path(folder)
    pointer = folder / "latest"
    if pointer.is_file():
        cand = folder / pointer.read_text().strip()
        if cand.is_file():
            return cand
    files = sorted(folder.glob("ep*.pt"))
    return files[-1] if files else None


def remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
