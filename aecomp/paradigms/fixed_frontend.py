"""A check shared by the paradigms that never train the front-end."""

from __future__ import annotations

from aecomp.errors import AecompError


class ParadigmConfigError(AecompError, ValueError):
    """A paradigm does not fit the front-end or downstream it was given."""


def require_fixed_frontend(paradigm, name: str) -> None:
    """Refuse a trainable front-end: paradigm ``name`` would leave it untrained."""
    if paradigm.frontend.trainable:
        raise ParadigmConfigError(
            f"paradigm '{name}' never trains the front-end, but {type(paradigm.frontend).__name__} has "
            "parameters that would stay untrained; use a fixed front-end (identity, wiener) or the "
            "cascade, joint or iterative paradigm"
        )
