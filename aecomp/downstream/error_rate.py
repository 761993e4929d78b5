"""Word and character error rates with substitution, deletion and insertion counts, as sclite reports them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple


@dataclass
class Alignment:
    """The minimum-edit alignment of a reference and a hypothesis: (ref, hyp) pairs, None for a gap."""

    pairs: List[Tuple[str | None, str | None]]

    @property
    def substitutions(self) -> int:
        return sum(r is not None and h is not None and r != h for r, h in self.pairs)

    @property
    def deletions(self) -> int:
        return sum(h is None for _, h in self.pairs)

    @property
    def insertions(self) -> int:
        return sum(r is None for r, _ in self.pairs)

    @property
    def correct(self) -> int:
        return sum(r is not None and r == h for r, h in self.pairs)

    def sclite(self) -> Tuple[str, str]:
        """``REF:``/``HYP:`` lines as sclite prints them: correct words in lower case, errors in upper
        case, gaps as asterisks, columns aligned."""
        refs, hyps = [], []
        for r, h in self.pairs:
            ok = r == h
            r_s = ((r or "").lower() if ok else (r or "").upper()) if r is not None else "*" * len(h or "")
            h_s = ((h or "").lower() if ok else (h or "").upper()) if h is not None else "*" * len(r or "")
            width = max(len(r_s), len(h_s))
            refs.append(r_s.ljust(width))
            hyps.append(h_s.ljust(width))
        return " ".join(refs), " ".join(hyps)


#: sclite's edit costs: a substitution costs more than a deletion or an insertion alone, so
#: "sat the mat" vs "sit mat today" aligns as 1 S + 1 D + 1 I rather than 3 S
SUB, DEL, INS = 4, 3, 3


def align(ref: Sequence[str], hyp: Sequence[str]) -> Alignment:
    """Minimum-cost alignment with sclite's costs (:data:`SUB`, :data:`DEL`, :data:`INS`; a match 0)."""
    n, m = len(ref), len(hyp)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i * DEL
    for j in range(1, m + 1):
        cost[0][j] = j * INS
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            diag = cost[i - 1][j - 1] + (0 if ref[i - 1] == hyp[j - 1] else SUB)
            cost[i][j] = min(diag, cost[i - 1][j] + DEL, cost[i][j - 1] + INS)
    pairs: List[Tuple[str | None, str | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i][j] == cost[i - 1][j - 1] + (0 if ref[i - 1] == hyp[j - 1] else SUB):
            pairs.append((ref[i - 1], hyp[j - 1]))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + DEL:
            pairs.append((ref[i - 1], None))
            i -= 1
        else:
            pairs.append((None, hyp[j - 1]))
            j -= 1
    return Alignment(pairs[::-1])


def error_counts(refs: Sequence[str], hyps: Sequence[str]) -> dict:
    """Additive word and character counts: ``word_{sub,del,ins,ref}``, ``char_{sub,del,ins,ref}``, ``sentences``."""
    out = {k: 0.0 for k in ("word_sub", "word_del", "word_ins", "word_ref", "char_sub", "char_del", "char_ins",
                            "char_ref", "sentences", "sentence_errors")}
    for ref, hyp in zip(refs, hyps):
        for unit, r, h in (("word", ref.split(), hyp.split()), ("char", list(ref.replace(" ", "")),
                                                               list(hyp.replace(" ", "")))):
            a = align(r, h)
            out[f"{unit}_sub"] += a.substitutions
            out[f"{unit}_del"] += a.deletions
            out[f"{unit}_ins"] += a.insertions
            out[f"{unit}_ref"] += len(r)
        out["sentences"] += 1
        out["sentence_errors"] += float(ref.split() != hyp.split())
    return out


def error_rates(counts: dict) -> dict:
    """WER and CER (as fractions), their S/D/I parts, and the sentence error rate."""
    out = {}
    for unit, name in (("word", "wer"), ("char", "cer")):
        n = max(counts.get(f"{unit}_ref", 0.0), 1.0)
        errors = counts.get(f"{unit}_sub", 0) + counts.get(f"{unit}_del", 0) + counts.get(f"{unit}_ins", 0)
        out[name] = errors / n
        for kind in ("sub", "del", "ins"):
            out[f"{name}_{kind}"] = counts.get(f"{unit}_{kind}", 0.0) / n
    out["ser"] = counts.get("sentence_errors", 0.0) / max(counts.get("sentences", 0.0), 1.0)
    out["words"] = counts.get("word_ref", 0.0)
    return out
