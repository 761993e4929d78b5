"""ESPnet's model components by the names of its task files, without importing the whole task.

``espnet2/tasks/asr.py`` and ``espnet2/tasks/enh.py`` name every component a config can choose
(``encoder: conformer``). Importing either imports every component of the task (SSL front-ends, phoneme
tokenizers, ...): about 15 CPU-seconds on this project's 2-core machine, paid by every training and
evaluation process. The components aecomp's recipes use are looked up here by module instead, and any
other name falls back to the task's own table, so every ESPnet name still works::

    espnet_class("asr", "encoder", "transformer")  # espnet2.asr.encoder.transformer_encoder.TransformerEncoder
    espnet_class("asr", "encoder", "branchformer")  # not below: from espnet2.tasks.asr's encoder_choices

``tests/test_espnet_components.py`` checks that each entry is the class ESPnet's table gives.
"""

from __future__ import annotations

import importlib

from aecomp.offline import offline_imports

#: (task, kind, name) -> "module:Class", a subset of espnet2/tasks/<task>.py's ``<kind>_choices``
DIRECT = {
    ("asr", "frontend", "default"): "espnet2.asr.frontend.default:DefaultFrontend",
    ("asr", "specaug", "specaug"): "espnet2.asr.specaug.specaug:SpecAug",
    ("asr", "normalize", "utterance_mvn"): "espnet2.layers.utterance_mvn:UtteranceMVN",
    ("asr", "normalize", "global_mvn"): "espnet2.layers.global_mvn:GlobalMVN",
    ("asr", "encoder", "transformer"): "espnet2.asr.encoder.transformer_encoder:TransformerEncoder",
    ("asr", "encoder", "conformer"): "espnet2.asr.encoder.conformer_encoder:ConformerEncoder",
    ("asr", "encoder", "e_branchformer"): "espnet2.asr.encoder.e_branchformer_encoder:EBranchformerEncoder",
    ("asr", "encoder", "rnn"): "espnet2.asr.encoder.rnn_encoder:RNNEncoder",
    ("asr", "decoder", "transformer"): "espnet2.asr.decoder.transformer_decoder:TransformerDecoder",
    ("asr", "decoder", "rnn"): "espnet2.asr.decoder.rnn_decoder:RNNDecoder",
    ("enh", "encoder", "conv"): "espnet2.enh.encoder.conv_encoder:ConvEncoder",
    ("enh", "encoder", "stft"): "espnet2.enh.encoder.stft_encoder:STFTEncoder",
    ("enh", "decoder", "conv"): "espnet2.enh.decoder.conv_decoder:ConvDecoder",
    ("enh", "decoder", "stft"): "espnet2.enh.decoder.stft_decoder:STFTDecoder",
    ("enh", "separator", "tcn"): "espnet2.enh.separator.tcn_separator:TCNSeparator",
    ("enh", "separator", "dprnn"): "espnet2.enh.separator.dprnn_separator:DPRNNSeparator",
    ("enh", "separator", "rnn"): "espnet2.enh.separator.rnn_separator:RNNSeparator",
}


def espnet_class(task: str, kind: str, name: str) -> type:
    """The class ESPnet's ``espnet2.tasks.<task>`` names ``name`` among its ``<kind>_choices`` (its
    error, listing the valid names, for an unknown one)."""
    offline_imports()
    path = DIRECT.get((task, kind, name))
    if path is not None:
        module, cls = path.split(":")
        return getattr(importlib.import_module(module), cls)
    choices = getattr(importlib.import_module(f"espnet2.tasks.{task}"), f"{kind}_choices")
    return choices.get_class(name)
