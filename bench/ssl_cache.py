"""Training-step time of the SSL representation loss with and without the clean-feature cache.

A U-Net front-end is trained through a frozen tiny WavLM (s3prl format) on
batches of 1-s utterances. With the cache, the upstream runs on the enhanced
signal only; without it, on the clean reference too. Prints the ratio
(uncached / cached step time, > 1 means the cache helps) as its last line.

    tools/venv/bin/python bench/ssl_cache.py [--steps 20] [--batch 16]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from aecomp import registry
from aecomp.losses.tiny_upstream import build_tiny_wavlm


def step_times(loss_conf, ckpt, batches, steps):
    fe = registry.build("frontend", {"name": "unet", "conf": {"channels": [4, 8, 24, 48]}})
    loss = registry.build("loss", {"name": "ssl", "conf": {"ckpt": ckpt, "layers": [1, 2], **loss_conf}})
    opt = torch.optim.Adam(fe.parameters(), 1e-3)
    times = []
    for i in range(steps):
        clean, noisy, lengths, keys = batches[i % len(batches)]
        t0 = time.perf_counter()
        loss(fe(noisy, lengths), clean, noisy, lengths, keys).mean().backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t0)
    return times[len(batches):]  # after one pass the cache is warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--distinct_batches", type=int, default=4, help="batches cycled through (an 'epoch')")
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = str(build_tiny_wavlm(Path(tmp) / "tiny_wavlm.pt"))
        batches = []
        for k in range(args.distinct_batches):
            clean = torch.randn(args.batch, 16000) * 0.1
            batches.append((clean, clean + 0.1 * torch.randn_like(clean), torch.full((args.batch,), 16000),
                            [f"b{k}u{i}" for i in range(args.batch)]))
        steps = args.steps + args.distinct_batches
        cached = step_times({"cache": True}, ckpt, batches, steps)
        uncached = step_times({"cache": False}, ckpt, batches, steps)
    c, u = statistics.median(cached), statistics.median(uncached)
    print(f"median step: cached {c * 1000:.1f} ms, uncached {u * 1000:.1f} ms (batch {args.batch} x 1 s, "
          f"{len(cached)} steps each)")
    print(f"ssl_cache_speedup: {u / c:.2f}")


if __name__ == "__main__":
    main()
