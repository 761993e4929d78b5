"""The DCASE2020 FCNN (aecomp/downstream/asc_fcnn.py): size, segments, forward and backward, one segment trained."""

from __future__ import annotations

import pytest
import torch

from aecomp import registry
from aecomp.config import OptimConf
from aecomp.paradigms.fixed_frontend import ParadigmConfigError
from aecomp.train.optim import build_optimizer
from conftest import batch, tiny

SCENES = [f"s{i}" for i in range(10)]
SMALL = dict(sample_rate=16000, n_fft=744, hop_length=372, n_mels=32, width=0.0625, clip_seconds=1.0)


def fcnn(**conf):
    return registry.build("downstream", {"name": "asc_fcnn", "conf": conf}, labels=SCENES)


def test_full_width_has_the_seeds_11_8_million_parameters_in_ten_segments():
    model = fcnn()
    total = sum(p.numel() for p in model.parameters())
    assert 11.7e6 < total < 11.9e6, total
    assert sum(p.numel() for seg in model.segments for p in seg.parameters()) == total  # nothing outside them
    convs = [m for seg in model.segments[:9] for m in seg.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [144, 144, 288, 288, 576, 576, 576, 576, 10]
    assert convs[0].kernel_size == (5, 5) and convs[0].stride == (2, 2) and convs[8].kernel_size == (1, 1)
    pools = [i for i, seg in enumerate(model.segments, 1) if any(isinstance(m, torch.nn.MaxPool2d) for m in seg.modules())]
    assert pools == [2, 4, 8]
    drops = [i for i, seg in enumerate(model.segments, 1) if any(isinstance(m, torch.nn.Dropout) for m in seg.modules())]
    assert drops == [5, 6, 7]


def test_forward_backward_and_decoding_at_a_small_width():
    model = fcnn(**SMALL)
    wav = torch.randn(3, 12000) * 0.1  # shorter than the clip: padded
    assert model.input_features(torch.nn.functional.pad(wav, (0, 4000))).shape[:3] == (3, 3, 32)
    loss = model(wav, torch.full((3,), 12000), torch.tensor([[0], [3], [9]]), torch.ones(3))
    assert loss.shape == (3,)
    loss.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    model.eval()
    assert all(h in SCENES for h in model.decode(wav, torch.full((3,), 12000)))
    with pytest.raises(ValueError, match="width must be > 0"):
        fcnn(width=0)


@pytest.mark.parametrize("k", [1, 7, 10])
def test_segmental_fine_tuning_moves_only_that_segment(k):
    model = fcnn(**SMALL)
    paradigm = registry.build("paradigm", {"name": "noisy", "conf": {"epochs": 1, "train": [f"downstream.seg{k}"]}},
                              frontend=tiny("frontend", "identity"), downstream=model)
    phase = paradigm.schedule()[0]
    paradigm.configure(phase)
    before = {n: v.clone() for n, v in paradigm.state_dict().items()}
    optimizer = build_optimizer(paradigm.param_groups(), OptimConf(name="sgd", conf={"lr": 0.5, "momentum": 0.9}))
    loss, _ = paradigm.train_step(batch(b=3, t=16000), phase)
    loss.backward()
    optimizer.step()
    moved = {n.split(".")[1] for n, v in paradigm.state_dict().items() if not torch.equal(v, before[n])}
    assert moved == {f"seg{k}"}


def test_a_train_path_outside_the_downstream_is_refused():
    with pytest.raises(ParadigmConfigError, match=r"train must list module paths inside the downstream"):
        registry.build("paradigm", {"name": "noisy", "conf": {"train": ["frontend"]}},
                       frontend=tiny("frontend", "identity"), downstream=fcnn(**SMALL))
