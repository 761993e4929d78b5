"""Sub-word tokens for speech recognition: a sentencepiece model trained on the training text.

The token list follows ESPnet: ``<blank>`` (CTC blank, id 0), ``<unk>``, the
pieces, and ``<sos/eos>`` last.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import List, Sequence

BLANK, UNK, SOS_EOS = "<blank>", "<unk>", "<sos/eos>"


def train_sentencepiece(texts: Sequence[str], model_path: Path, vocab_size: int = 100,
                        model_type: str = "unigram") -> Path:
    """Train a sentencepiece model on ``texts`` and write it to ``model_path`` (``*.model``)."""
    import sentencepiece as spm

    model_path = Path(model_path)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="aecomp-spm-") as tmp:
        corpus = Path(tmp) / "text"
        corpus.write_text("\n".join(texts) + "\n", encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(Path(tmp) / "bpe"), vocab_size=vocab_size, model_type=model_type,
            character_coverage=1.0, hard_vocab_limit=False, bos_id=-1, eos_id=-1, unk_id=0,
            input_sentence_size=10_000_000, shuffle_input_sentence=False, minloglevel=2)
        (Path(tmp) / "bpe.model").replace(model_path)
    return model_path


class Tokenizer:
    """Text <-> token ids of a token list ``[<blank>, <unk>, pieces..., <sos/eos>]``."""

    def __init__(self, model_path: str | Path, token_list: Sequence[str]):
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=str(model_path))
        self.tokens = list(token_list)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.unk = self.index[UNK]

    @staticmethod
    def token_list(model_path: str | Path) -> List[str]:
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(model_path))
        pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
        return [BLANK, UNK] + [p for p in pieces if p not in ("<unk>", "<s>", "</s>")] + [SOS_EOS]

    def encode(self, text: str) -> List[int]:
        return [self.index.get(p, self.unk) for p in self.sp.encode(text, out_type=str)]

    def decode(self, ids: Sequence[int]) -> str:
        pieces = [self.tokens[i] for i in ids if self.tokens[i] not in (BLANK, SOS_EOS)]
        return self.sp.decode_pieces(pieces).replace(UNK, " ").strip()
