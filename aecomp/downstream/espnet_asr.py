"""ESPnet's espnet2 ASR model as a downstream: per-utterance losses, greedy CTC or beam-search decoding, WER.

The model is an ``espnet2.asr.espnet_model.ESPnetASRModel`` assembled from
ESPnet's own components, chosen by name exactly as in an ESPnet ``asr.yaml``
(``frontend``, ``specaug``, ``normalize``, ``encoder``, ``decoder`` and their
``*_conf``): any encoder ESPnet offers (conformer, transformer, e_branchformer,
...) works. ESPnet's training loss is reduced over the batch; here the CTC and
attention losses are computed per utterance from the same modules, which is
what importance weighting needs:

    loss_u = ctc_weight * ctc_u + (1 - ctc_weight) * attention_u

with ESPnet's normalisation (sums over the utterance's frames/tokens, not
divided by its length).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F

from aecomp.downstream.base import Downstream, Metric
from aecomp.downstream.error_rate import align, error_counts, error_rates
from aecomp.downstream.tokenizer import Tokenizer, train_sentencepiece
from aecomp.espnet_components import espnet_class
from aecomp.fs import atomic_write_text
from aecomp.offline import offline_imports
from aecomp.registry import register

log = logging.getLogger(__name__)
DECODING = ("ctc_greedy", "beam")


@register("downstream", "espnet_asr")
class ESPnetASR(Downstream):
    """ESPnet's espnet2 ASR model (CTC or hybrid CTC/attention), per-utterance losses; WER and CER."""

    metrics = (Metric("wer", "min"), Metric("cer", "min"))
    vocabulary_files = ("labels.txt", "bpe.model")

    def __init__(self, labels: Sequence[str], bpe_model: str, sample_rate: int = 16000,
                 frontend: str = "default", frontend_conf: Optional[Dict[str, Any]] = None,
                 specaug: Optional[str] = None, specaug_conf: Optional[Dict[str, Any]] = None,
                 normalize: Optional[str] = "utterance_mvn", normalize_conf: Optional[Dict[str, Any]] = None,
                 encoder: str = "conformer", encoder_conf: Optional[Dict[str, Any]] = None,
                 decoder: Optional[str] = "transformer", decoder_conf: Optional[Dict[str, Any]] = None,
                 ctc_weight: float = 0.3, lsm_weight: float = 0.1, decoding: str = "ctc_greedy",
                 beam_size: int = 4, penalty: float = 0.0, vocab_size: int = 100, token_type: str = "unigram"):
        """``labels`` and ``bpe_model`` (the token list and the sentencepiece model) are injected;
        ``vocab_size`` and ``token_type`` are what the tokenizer was trained with (see
        :meth:`vocabulary`). Components are ESPnet's, by the names of ``espnet2/tasks/asr.py``.
        ``ctc_weight`` 1 is a pure CTC model (no decoder). ``decoding``: ``ctc_greedy``, or
        ``beam`` (ESPnet's batch beam search, CTC prefix + decoder scores, ``beam_size``)."""
        super().__init__()
        if decoding not in DECODING:
            raise ValueError(f"decoding must be one of {', '.join(DECODING)}, got {decoding!r}")
        if not 0.0 <= ctc_weight <= 1.0:
            raise ValueError(f"ctc_weight must be in [0, 1], got {ctc_weight}")
        if ctc_weight < 1.0 and not decoder:
            raise ValueError("ctc_weight < 1 needs a decoder (attention loss)")
        offline_imports()
        from espnet2.asr.ctc import CTC
        from espnet2.asr.espnet_model import ESPnetASRModel

        def component(kind: str, name: str) -> type:
            return espnet_class("asr", kind, name)

        self.labels = list(labels)
        self.tokenizer = Tokenizer(bpe_model, self.labels)
        vocab = len(self.labels)
        front = component("frontend", frontend)(fs=sample_rate, **(frontend_conf or {}))
        enc = component("encoder", encoder)(input_size=front.output_size(), **(encoder_conf or {}))
        dec = component("decoder", decoder)(vocab_size=vocab, encoder_output_size=enc.output_size(),
                                            **(decoder_conf or {})) if ctc_weight < 1.0 else None
        self.model = ESPnetASRModel(
            vocab_size=vocab, token_list=self.labels, frontend=front,
            specaug=component("specaug", specaug)(**(specaug_conf or {})) if specaug else None,
            normalize=component("normalize", normalize)(**(normalize_conf or {})) if normalize else None,
            preencoder=None, encoder=enc, postencoder=None, decoder=dec,
            ctc=CTC(odim=vocab, encoder_output_size=enc.output_size()), joint_network=None,
            ctc_weight=ctc_weight, lsm_weight=lsm_weight, report_cer=False, report_wer=False)
        self.ctc_weight, self.lsm_weight = ctc_weight, lsm_weight
        self.decoding, self.beam_size, self.penalty = decoding, beam_size, penalty

    # -- vocabulary ---------------------------------------------------------------------
    @classmethod
    def vocabulary(cls, texts: Sequence[str], model_dir: Path, conf: Dict[str, Any]) -> Dict[str, Any]:
        """Train a sentencepiece model (``vocab_size``, ``token_type`` of the conf) on the training
        transcripts; write ``bpe.model`` and the token list ``labels.txt``."""
        model = train_sentencepiece(texts, Path(model_dir) / "bpe.model", int(conf.get("vocab_size", 100)),
                                    conf.get("token_type", "unigram"))
        tokens = Tokenizer.token_list(model)
        atomic_write_text(Path(model_dir) / "labels.txt", "".join(f"{t}\n" for t in tokens))
        log.info("sentencepiece %s model with %d tokens -> %s", conf.get("token_type", "unigram"), len(tokens), model)
        return {"labels": tokens, "bpe_model": str(model)}

    @classmethod
    def load_vocabulary(cls, model_dir: Path, conf: Dict[str, Any]) -> Dict[str, Any]:
        labels = (Path(model_dir) / "labels.txt").read_text(encoding="utf-8").split("\n")[:-1]
        return {"labels": labels, "bpe_model": str(Path(model_dir) / "bpe.model")}

    def encode_target(self, text: str) -> List[int]:
        ids = self.tokenizer.encode(text)
        if not ids:
            raise ValueError(f"transcript {text!r} has no tokens")
        return ids

    # -- training -------------------------------------------------------------------------
    def forward(self, wav, lengths, targets, target_lengths) -> torch.Tensor:
        """Per-utterance loss ``[B]`` of ``wav [B, T]`` against token ids ``targets [B, L]`` (pad -1)."""
        enc, enc_lens = self._encode(wav, lengths)
        loss = torch.zeros(wav.shape[0], device=wav.device)
        if self.ctc_weight > 0:
            logp = self.model.ctc.log_softmax(enc).transpose(0, 1)  # [N, B, V]
            ctc = F.ctc_loss(logp, targets.clamp(min=0), enc_lens, target_lengths, blank=0, reduction="none",
                             zero_infinity=True)
            loss = loss + self.ctc_weight * ctc
        if self.ctc_weight < 1:
            from espnet.nets.pytorch_backend.transformer.add_sos_eos import add_sos_eos

            ys_in, ys_out = add_sos_eos(targets, self.model.sos, self.model.eos, -1)
            dec, _ = self.model.decoder(enc, enc_lens, ys_in, target_lengths + 1)
            att = F.cross_entropy(dec.transpose(1, 2), ys_out, ignore_index=-1, label_smoothing=self.lsm_weight,
                                  reduction="none").sum(-1)
            loss = loss + (1 - self.ctc_weight) * att
        return loss

    def _encode(self, wav: torch.Tensor, lengths: torch.Tensor):
        """ESPnet's encoder on a batch sorted longest first (its RNN encoders pack sequences and need
        that), returned in the batch's own order: ``enc [B, N, D]``, ``enc_lens [B]``."""
        order = torch.argsort(lengths, descending=True)
        enc, enc_lens = self.model.encode(wav[order], lengths[order])
        inverse = torch.argsort(order)
        return enc[inverse], enc_lens[inverse]

    # -- decoding and scoring -----------------------------------------------------------
    @torch.no_grad()
    def decode(self, wav: torch.Tensor, lengths: torch.Tensor) -> List[str]:
        enc, enc_lens = self._encode(wav, lengths)
        if self.decoding == "ctc_greedy":
            best = self.model.ctc.argmax(enc)  # [B, N]
            out = []
            for ids, n in zip(best.tolist(), enc_lens.tolist()):
                ids = [t for i, t in enumerate(ids[:n]) if t != 0 and (i == 0 or t != ids[i - 1])]
                out.append(self.tokenizer.decode(ids))
            return out
        search = self._beam_search(wav.device)
        return [self.tokenizer.decode(search(x=enc[b, :int(enc_lens[b])], maxlenratio=0.0, minlenratio=0.0)[0]
                                      .yseq[1:-1].tolist()) for b in range(enc.shape[0])]

    def _beam_search(self, device):
        if getattr(self, "_search", None) is None:
            from espnet.nets.batch_beam_search import BatchBeamSearch
            from espnet.nets.scorers.ctc import CTCPrefixScorer
            from espnet.nets.scorers.length_bonus import LengthBonus

            scorers = {"ctc": CTCPrefixScorer(ctc=self.model.ctc, eos=self.model.eos),
                       "length_bonus": LengthBonus(len(self.labels))}
            weights = {"ctc": self.ctc_weight, "length_bonus": self.penalty}
            if self.model.decoder is not None:
                scorers["decoder"] = self.model.decoder
                weights["decoder"] = 1.0 - self.ctc_weight
            self._search = BatchBeamSearch(scorers=scorers, weights=weights, beam_size=self.beam_size,
                                           vocab_size=len(self.labels), sos=self.model.sos, eos=self.model.eos,
                                           token_list=self.labels, pre_beam_score_key="full")
        self._search.to(device).eval()
        return self._search

    def score(self, hyps: Sequence[str], refs: Sequence[str]) -> Dict[str, float]:
        return error_counts(refs, hyps)

    @staticmethod
    def summarize(counts: Dict[str, float]) -> Dict[str, float]:
        return error_rates(counts)

    def write_report(self, hyps: Dict[str, str], refs: Dict[str, str], out_dir: Path) -> None:
        """``result.txt``: each utterance's alignment (sclite style), then the totals."""
        lines = []
        for utt in sorted(hyps):
            a = align(refs[utt].split(), hyps[utt].split())
            ref_line, hyp_line = a.sclite()
            lines += [f"id: {utt}", f"Scores: (#C #S #D #I) {a.correct} {a.substitutions} {a.deletions} "
                      f"{a.insertions}", f"REF: {ref_line}", f"HYP: {hyp_line}", ""]
        rates = error_rates(error_counts([refs[u] for u in sorted(hyps)], [hyps[u] for u in sorted(hyps)]))
        lines.append(f"WER {100 * rates['wer']:.2f} % (sub {100 * rates['wer_sub']:.2f}, del "
                     f"{100 * rates['wer_del']:.2f}, ins {100 * rates['wer_ins']:.2f}) over {int(rates['words'])} "
                     f"words; CER {100 * rates['cer']:.2f} %; SER {100 * rates['ser']:.2f} %")
        atomic_write_text(Path(out_dir) / "result.txt", "\n".join(lines) + "\n")
