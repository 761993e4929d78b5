"""Train a system (front-end + downstream) with the paradigm of a YAML config.

Training examples of --train_data are corrupted on the fly: by the config's
data.corruptions (a noise corruption without a bank uses --noise), or else by
the noise of --noise at data.snr_range; --valid_data gets the same corruptions
with a fixed seed. Outputs go to --out_dir (model.pt, config.yaml,
checkpoints/, train.log, tensorboard/). An interrupted run resumes from its
newest checkpoint; a finished one (model.pt present) is skipped.

Example:
  aecomp train --config conf/train_iterative.yaml --train_data data/train \\
      --valid_data data/dev --noise data/noise_train --out_dir exp/iterative/seed1 \\
      --override "trainer.seed=1 data.batch_size=16"
"""

from __future__ import annotations

import argparse
import sys

from aecomp.bin.common import option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    option(parser, "--config", help="experiment YAML (see aecomp/config.py for its sections)")
    option(parser, "--override", action="append", default=[], metavar="'a.b=v c.d=w'",
           help="overrides of config keys, YAML values (repeatable)")
    option(parser, "--print_config", action="store_true", help="print the resolved config, build its system and run it on a dummy batch "
                "(as 'aecomp check-config' does), and exit; non-zero if the system cannot be built")
    option(parser, "--train_data", help="training data directory")
    option(parser, "--valid_data", help="validation data directory")
    option(parser, "--noise", help="noise data directory for on-the-fly corruption (the default bank of data.corruptions' noise)")
    option(parser, "--out_dir", help="model directory to write")
    option(parser, "--ngpu", type=int, default=0, help="GPUs per node (0: CPU); more than 1 trains with DDP")
    option(parser, "--num_procs", type=int, default=None,
           help="training processes on this node (default: --ngpu, or 1); on CPU, >1 runs DDP with gloo. "
                "Under srun with several tasks, or torchrun, each task is one process instead")
    option(parser, "--no_resume", action="store_true", help="refuse to continue from existing checkpoints")
    option(parser, "--print_init_systems", nargs="+", metavar="CONFIG",
           help="print one line per config given here: the systems it starts from (its init section, "
                "space-separated; empty: none), and exit. A recipe reads all its configs in this one call")


def main(args) -> int:
    import logging
    import shlex
    from pathlib import Path

    from aecomp.config import ConfigError, load_config

    overrides = [item for chunk in args.override for item in shlex.split(chunk)]
    if args.print_init_systems:
        from aecomp.train.system import init_system_names

        for path in args.print_init_systems:
            print(" ".join(init_system_names(load_config(path, overrides))))
        return 0
    if args.config is None:
        raise ConfigError("--config is required to train")
    cfg = load_config(args.config, overrides)
    if args.print_config:
        from aecomp.train.system import dry_run

        sys.stdout.write(cfg.dump())
        sys.stdout.flush()
        dry_run(cfg)
        return 0
    for name in ("train_data", "valid_data", "out_dir"):
        if getattr(args, name) is None:
            raise ConfigError(f"--{name} is required to train")
    log = logging.getLogger("aecomp.train")
    out_dir = Path(args.out_dir)
    if (out_dir / "model.pt").is_file():
        log.info("%s is already trained (model.pt exists); skipping. Delete it to train again.", out_dir)
        return 0

    from functools import partial

    from aecomp.data.datadir import DataDir
    from aecomp.train.distributed import launch
    from aecomp.train.system import prepare_vocabulary, write_model_meta

    # once, before any training process starts: every rank then reads the same files
    texts = list(DataDir.load(args.train_data).get("text").values())
    prepare_vocabulary(cfg, texts, out_dir)
    write_model_meta(out_dir, cfg)
    num_procs = args.num_procs if args.num_procs is not None else max(1, args.ngpu)
    return launch(partial(train_worker, args, cfg), num_procs)


def train_worker(args, cfg, dist) -> int:
    """Train on one rank (all of it when not distributed); returns the exit status."""
    import logging
    from pathlib import Path

    from aecomp.bin.common import device_for
    from aecomp.data.datadir import DataDir
    from aecomp.corruptions.noise import NoiseBank
    from aecomp.corruptions.training import TrainingCorruptions
    from aecomp.data.dataset import AudioDataset
    from aecomp.train.system import build_paradigm, downstream_class, load_init
    from aecomp.train.trainer import PREEMPTED_EXIT, Preempted, Trainer, seed_everything

    log = logging.getLogger("aecomp.train")
    out_dir = Path(args.out_dir)
    device = device_for(args.ngpu)
    if device == "cuda":
        device = f"cuda:{dist.local_rank}"
    train_dir, valid_dir = DataDir.load(args.train_data), DataDir.load(args.valid_data)
    d = cfg.data
    corruptions = TrainingCorruptions.from_config(d.corruptions, sample_rate=d.sample_rate, noise_bank=args.noise,
                                                  where=cfg.where("data", "corruptions")) if d.corruptions else None
    noise = NoiseBank(DataDir.load(args.noise), d.sample_rate) if args.noise and corruptions is None else None
    cls, conf = downstream_class(cfg)
    vocabulary = cls.load_vocabulary(out_dir, conf)
    labels = vocabulary.get("labels")
    seed_everything(cfg.trainer.seed)  # the same initial weights on every run and every rank
    paradigm = build_paradigm(cfg, vocabulary)
    init = load_init(paradigm, cfg, out_dir, labels)
    for module, source in init.items():
        log.info("%s starts from %s", module, source)
    # a downstream with no task output (separation, enhancement alone) needs no text table
    encode = paradigm.downstream.encode_target if paradigm.downstream.decodes else None
    train_set = AudioDataset(train_dir, d.sample_rate, encode, noise, d.snr_range,
                             d.p_clean, seed=cfg.trainer.seed, preload=d.preload, max_seconds=d.max_seconds,
                             corruptions=corruptions, speed_perturb=d.speed_perturb)
    valid_set = AudioDataset(valid_dir, d.sample_rate, encode, noise, d.snr_range,
                             d.p_clean, seed=d.valid_seed, fixed=True, preload=d.preload, corruptions=corruptions)
    if corruptions is not None:
        log.info("training corruptions: %s", corruptions.describe())
    n_params = {k: sum(p.numel() for p in g) for k, g in paradigm.param_groups().items()}
    log.info("paradigm: %s front-end (%d parameters), %s downstream (%d parameters), %d labels; "
             "%d training and %d validation utterances; %s", type(paradigm.frontend).__name__, n_params["frontend"],
             type(paradigm.downstream).__name__, n_params["downstream"], len(labels or []), len(train_set),
             len(valid_set), f"rank {dist.rank} of {dist.world_size} on {device}" if dist.enabled else device)
    trainer = Trainer(paradigm, cfg, out_dir, train_set, valid_set, device=device, dist=dist,
                      downstream_pretrained="downstream" in init)
    try:
        trainer.fit(resume=not args.no_resume)
    except Preempted:
        return PREEMPTED_EXIT
    return 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
