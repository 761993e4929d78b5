"""Base class of corpus plugins: turn a corpus as users have it on disk into data directories."""

from __future__ import annotations

from aecomp.errors import AecompError

import logging
from pathlib import Path
from typing import Dict, Iterable

log = logging.getLogger(__name__)


class CorpusLayoutError(AecompError, ValueError):
    """The corpus root is missing or not in the expected layout; the message shows the layout."""


class Corpus:
    """A corpus preparer, registered under kind ``corpus``.

    ``prepare(corpus_dir, out_dir)`` reads the corpus in its official layout
    and writes Kaldi-style data directories below ``out_dir`` (``train``,
    ``dev``, ``test``, and noise lists such as ``noise_train``). It returns
    set name -> written directory. Constructor arguments are the options
    (``conf`` in YAML, ``--opt key=value`` on the command line).
    """

    #: environment variable that db.sh reads for this corpus's root
    env_var: str = ""
    #: the expected layout, shown when the corpus root does not match it
    layout: str = ""

    def prepare(self, corpus_dir: Path, out_dir: Path) -> Dict[str, Path]:  # pragma: no cover - abstract
        raise NotImplementedError

    def require(self, corpus_dir: Path, paths: Iterable[str]) -> None:
        """Raise :class:`CorpusLayoutError` unless every relative path exists under ``corpus_dir``."""
        corpus_dir = Path(corpus_dir)
        if not corpus_dir.is_dir():
            raise CorpusLayoutError(
                f"corpus root {corpus_dir} does not exist. {self._expected()}"
            )
        missing = [p for p in paths if not (corpus_dir / p).exists()]
        if missing:
            raise CorpusLayoutError(
                f"{corpus_dir} is not in the expected layout: missing {', '.join(missing)}. {self._expected()}"
            )

    def _expected(self) -> str:
        env = f"Set {self.env_var} to the top folder of this layout." if self.env_var else ""
        return f"Expected layout:\n{self.layout.strip(chr(10))}\n{env}".rstrip()
