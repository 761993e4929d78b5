"""The input's SI-SNR and SDR on an evaluation set, computed once for every system scored on it.

Every system of a recipe is scored on the same evaluation sets, and each improvement (``si_snri``,
``sdri``) is measured from the input's own value against its reference, which depends on the data
alone. Computing it takes as long as the estimate's (SDR's filter fit is most of a set's scoring time
for a small classifier), so :class:`InputMetricsCache` keeps it per set, in ``<set>/input_signal.json``:
the first evaluation on a set writes it, the others read it. Each utterance's entry is keyed by a hash
of its samples (input and references) and how many references are scored, so a set made anew, or an
entry from another batch layout, is computed anew; a set folder that cannot be written is only not
cached.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List

import torch

from aecomp.fs import atomic_write_text
from aecomp.metrics.signal import FROM_INPUT, input_values

if TYPE_CHECKING:
    from aecomp.data.dataset import Batch

log = logging.getLogger(__name__)

FILE = "input_signal.json"
VERSION = 1  # bump when input_values changes what it computes


class InputMetricsCache:
    """``cache(batch, n) -> name -> [B, n]``: :func:`aecomp.metrics.signal.input_values` of ``batch``
    against its first ``n`` references, read from ``<set_dir>/input_signal.json`` where every utterance of
    the batch is there with the same samples, else computed (and written by :meth:`save`)."""

    def __init__(self, set_dir: str | Path):
        self.path = Path(set_dir) / FILE
        self.entries: Dict[str, dict] = {}
        self.changed = False
        self.hits = self.misses = 0
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("version") == VERSION:
                    self.entries = dict(data["utts"])
            except (OSError, ValueError, KeyError, TypeError) as exc:  # rewritten below: never trusted broken
                log.info("%s cannot be read (%s); the input's metrics are computed again", self.path, exc)

    @staticmethod
    def key(batch: "Batch", i: int, n: int) -> str:
        """A hash of utterance ``i``'s input and first ``n`` references (their valid samples)."""
        length = int(batch.lengths[i])
        h = hashlib.sha1(f"{n} {length} ".encode())
        h.update(batch.noisy[i, :length].float().contiguous().cpu().numpy().tobytes())
        h.update(batch.refs[i, :n, :length].float().contiguous().cpu().numpy().tobytes())
        return h.hexdigest()

    def __call__(self, batch: "Batch", n: int) -> Dict[str, torch.Tensor]:
        keys = [self.key(batch, i, n) for i in range(len(batch))]
        found: List[dict] = [self.entries.get(u) for u in batch.uttids]
        if all(e is not None and e.get("key") == k for e, k in zip(found, keys)):
            self.hits += len(batch)
            return {name: torch.tensor([e[name] for e in found], dtype=torch.float64).view(len(batch), n)
                    for name, _ in FROM_INPUT}
        self.misses += len(batch)
        values = input_values(batch.refs[:, :n], batch.noisy, batch.lengths)
        for i, (utt, k) in enumerate(zip(batch.uttids, keys)):
            self.entries[utt] = {"key": k, **{name: values[name][i].tolist() for name in values}}
        self.changed = True
        return values

    def save(self) -> None:
        """Write the entries if any were computed; a folder that cannot be written is left uncached."""
        if not self.changed:
            return
        try:
            atomic_write_text(self.path, json.dumps({"version": VERSION, "utts": self.entries}))
        except OSError as exc:
            log.info("the input's metrics are not cached in %s (%s); each evaluation computes them", self.path, exc)
        self.changed = False
