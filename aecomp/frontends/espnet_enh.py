"""ESPnet's speech enhancement and separation models (espnet2.enh) as front-ends."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import torch

from aecomp.frontends.base import Frontend
from aecomp.espnet_components import espnet_class
from aecomp.registry import register


@register("frontend", "espnet_enh")
class ESPnetEnhancer(Frontend):
    """An espnet2 encoder-separator-decoder (Conv-TasNet, DPRNN, ...), by ESPnet's component names."""

    def __init__(self, encoder: str = "conv", encoder_conf: Optional[Dict[str, Any]] = None,
                 separator: str = "tcn", separator_conf: Optional[Dict[str, Any]] = None,
                 decoder: str = "conv", decoder_conf: Optional[Dict[str, Any]] = None):
        """Components are built with the names and ``*_conf`` of an ESPnet ``enh.yaml``
        (``espnet2/tasks/enh.py``): e.g. ``conv`` encoder/decoder and the ``tcn`` separator
        make a Conv-TasNet. With ``num_spk: 1`` the output is ``[B, T]``, else ``[B, S, T]``."""
        super().__init__()
        self.encoder = espnet_class("enh", "encoder", encoder)(**(encoder_conf or {}))
        self.separator = espnet_class("enh", "separator", separator)(input_dim=self.encoder.output_dim,
                                                                    **(separator_conf or {}))
        self.decoder = espnet_class("enh", "decoder", decoder)(**(decoder_conf or {}))

    @property
    def feature_dim(self) -> int:
        """``N``, the channels of the encoder's features."""
        return self.encoder.output_dim

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.forward_with_side(wav, lengths)[0]

    def forward_with_side(self, wav: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """``(output, side)``: the output of :meth:`forward` and what a feature loss needs:
        ``masked [B, S, L, N]`` (each source's masked encoder features, the decoder's input; ``L`` frames
        of ``N`` channels) and ``feature_lengths [B]`` (valid frames)."""
        feats, flens = self.encoder(wav, lengths)
        masked, flens, _ = self.separator(feats, flens)
        out = [self.decoder(m, lengths)[0] for m in masked]
        out = [torch.nn.functional.pad(o, (0, wav.shape[-1] - o.shape[-1]))[..., :wav.shape[-1]] for o in out]
        est = out[0] if len(out) == 1 else torch.stack(out, dim=1)
        return est, {"masked": torch.stack(list(masked), dim=1), "feature_lengths": flens}

    def encode(self, wav: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The encoder alone: ``(features [B, L, N], feature_lengths [B])`` of ``wav [B, T]`` (e.g. of a true
        source, to compare with the masked features of its estimate)."""
        return self.encoder(wav, lengths)
