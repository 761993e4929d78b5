"""Named trainable parts: phases train module paths, every part reaches the optimizer (aecomp/paradigms/base.py)."""

from __future__ import annotations

from typing import List

import pytest
import torch
from torch import nn

from aecomp import registry
from aecomp.config import OptimConf
from aecomp.paradigms.base import Paradigm, Phase
from aecomp.paradigms.fixed_frontend import ParadigmConfigError
from aecomp.registry import RegistryError
from aecomp.train.optim import build_optimizer
from conftest import batch, tiny


class Blended(Paradigm):
    """A paradigm with a module of its own (as TRNet's blend) and a frozen teacher."""

    frozen = ("signal_loss", "teacher")

    def __init__(self, frontend, downstream, train=("downstream.classifier",), **common):
        super().__init__(frontend, downstream, **common)
        self.blend = nn.Linear(1, 1)
        self.teacher = nn.Linear(2, 2)
        self.train_paths = tuple(train)

    def phases(self) -> List[Phase]:
        return [Phase("p", 1, train=self.train_paths, task_input="noisy")]


def blended(**conf):
    fe = tiny("frontend", "unet", channels=[2, 4])
    ds = tiny("downstream", "kws_cnn", channels=[2, 4], time_steps=2)
    return Blended(fe, ds, **conf)


def test_a_phase_trains_one_block_of_the_downstream_and_nothing_else():
    """Seed 004's segmental fine-tuning: after a real optimizer step only the named block has moved,
    and the frozen blocks (BatchNorm included) are in eval mode."""
    paradigm = blended(train=("downstream.classifier",))
    phase = paradigm.schedule()[0]
    paradigm.configure(phase)
    assert paradigm.downstream.classifier.training and not paradigm.downstream.body.training
    assert not paradigm.downstream.training and not paradigm.frontend.training
    before = {k: v.clone() for k, v in paradigm.state_dict().items()}
    optimizer = build_optimizer(paradigm.param_groups(), OptimConf(name="sgd", conf={"lr": 0.5}))
    loss, _ = paradigm.train_step(batch(), phase)
    loss.backward()
    optimizer.step()
    moved = {k for k, v in paradigm.state_dict().items() if not torch.equal(v, before[k])}
    assert moved == {"downstream.classifier.weight", "downstream.classifier.bias"}


def test_a_paradigms_own_modules_are_parts_and_reach_the_optimizer():
    paradigm = blended(train=("blend", "downstream"))
    assert paradigm.parts() == ["frontend", "downstream", "blend"]  # teacher and signal loss are frozen
    groups = paradigm.param_groups()
    assert list(groups) == ["frontend", "downstream", "blend"]
    assert groups["blend"] == list(paradigm.blend.parameters())
    paradigm.configure(paradigm.schedule()[0])
    assert all(p.requires_grad for p in paradigm.blend.parameters())
    assert not any(p.requires_grad for p in paradigm.frontend.parameters())
    assert not any(p.requires_grad for p in paradigm.teacher.parameters())


@pytest.mark.parametrize("path", ["teacher", "downstream.nothing", "signal_loss"])
def test_a_phase_naming_no_trainable_module_is_an_error(path):
    with pytest.raises(ValueError, match=f"no trainable module '{path}'; its parts are frontend, downstream, blend"):
        blended(train=(path,)).schedule()


def test_paradigms_declare_only_their_own_options_and_unknown_keys_stay_errors():
    fe, ds = tiny("frontend", "wiener"), tiny("downstream", "kws_cnn", channels=[2, 4], time_steps=2)
    noisy = registry.build("paradigm", {"name": "noisy", "conf": {"epochs": 3, "signal_loss": "si_snr"}},
                           frontend=fe, downstream=ds, sample_rate=16000)
    assert noisy.epochs == 3 and type(noisy.signal_loss).__name__ != type(
        registry.build("loss", "wsdr", sample_rate=16000)).__name__
    with pytest.raises(RegistryError, match="signal_los"):
        registry.build("paradigm", {"name": "cascade", "conf": {"signal_los": "wsdr"}}, frontend=fe, downstream=ds)


def test_clean_and_noisy_differ_only_in_what_the_downstream_hears():
    fe, ds = tiny("frontend", "identity"), tiny("downstream", "kws_cnn", channels=[2, 4], time_steps=2)
    clean = registry.build("paradigm", {"name": "clean", "conf": {"epochs": 2}}, frontend=fe, downstream=ds)
    noisy = registry.build("paradigm", {"name": "noisy", "conf": {"epochs": 2}}, frontend=fe, downstream=ds)
    assert type(clean).__mro__[1] is type(noisy).__mro__[1]
    (c,), (n,) = set(clean.schedule()), set(noisy.schedule())
    assert (c.task_input, n.task_input) == ("clean", "enhanced") and c.train == n.train == ("downstream",)
    with pytest.raises(ParadigmConfigError, match="paradigm 'clean' never trains the front-end"):
        registry.build("paradigm", "clean", frontend=tiny("frontend", "unet", channels=[2, 4]), downstream=ds)
