"""Nothing downloads at run time: guards for third-party imports that would reach the network.

``g2p_en``, imported by ESPnet's tokenizers (and so by s3prl, which imports
ESPnet), calls ``nltk.download`` at import time when its NLTK data is missing.
aecomp never uses g2p_en, so that download becomes a no-op. HuggingFace hubs are
set offline too. Call :func:`offline_imports` before importing espnet, espnet2 or s3prl.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)
_done = False


def offline_imports() -> None:
    """Make third-party imports unable to download anything (idempotent)."""
    global _done
    if _done:
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import nltk
    except ImportError:
        pass
    else:
        def refuse(*args, **kwargs) -> bool:
            log.debug("refused an NLTK download at run time: %s", args)
            return False

        nltk.download = refuse
    _done = True
