"""aecomp.espnet_components: the components looked up by module are the classes ESPnet's task tables name."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from aecomp.espnet_components import DIRECT, espnet_class


@pytest.mark.parametrize("task", sorted({t for t, _, _ in DIRECT}))
def test_every_direct_entry_is_the_class_of_espnets_table(task):
    tables = importlib.import_module(f"espnet2.tasks.{task}")
    for (t, kind, name), path in DIRECT.items():
        if t == task:
            assert espnet_class(t, kind, name) is getattr(tables, f"{kind}_choices").get_class(name), path


def test_other_names_come_from_espnets_table():
    from espnet2.tasks.asr import encoder_choices

    assert ("asr", "encoder", "branchformer") not in DIRECT
    assert espnet_class("asr", "encoder", "branchformer") is encoder_choices.get_class("branchformer")
    with pytest.raises(ValueError, match="branchformer"):  # ESPnet's error lists the valid names
        espnet_class("asr", "encoder", "no_such_encoder")


def test_building_the_recipes_asr_model_does_not_import_the_whole_task(tmp_path):
    """The point of the table: a transformer CTC model (LibriSpeech's) is built without espnet2.tasks.asr."""
    code = (
        "import sys\n"
        "from aecomp.espnet_components import espnet_class\n"
        "for kind, name in [('frontend', 'default'), ('normalize', 'utterance_mvn'), ('encoder', 'transformer')]:\n"
        "    espnet_class('asr', kind, name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('espnet2.tasks')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"  # (ESPnet prints a warning about flash_attn first)
