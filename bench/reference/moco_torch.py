#!/usr/bin/env python3
"""PyTorch reference for `streamssl bench`: the same MoCo-v2 training step, on CPU.

Configuration (as bench/configs.ts): 32x32x3 inputs; CIFAR-style ResNet-18 backbone
with the given widths (3x3 stem with stride 1, no max-pool, 2 basic blocks per stage,
stride 2 at the first block of stages 2..4, 1x1 conv + BN shortcut where the shape
changes, global average pool); MLP head C-512-128; queue 4096; temperature 0.2; key
encoder EMA 0.99; SGD lr 0.06, momentum 0.9, weight decay 5e-4.

Differences from streamssl, none of which changes the FLOPs:
- batch norm is plain BatchNorm2d over the whole batch (streamssl uses 4 ghost groups);
  the key batch is shuffled and unshuffled around the key encoder, as shuffle-BN does;
- augmentation (``--augment simple``, the default) is a random crop of the 4-pixel
  reflect-padded image and a horizontal flip, per sample, then normalization; it runs
  in the training thread and is part of the timed step (streamssl prepares its batches in
  worker threads). ``--augment none`` feeds the normalized images as they are.

Each (configuration, thread count) is measured in a fresh process with
torch.set_num_threads(threads): warm-up steps, then timed steps.

    /usr/bin/python3 bench/reference/moco_torch.py [--threads 1,2] [--config small|resnet18|all] [--json]
"""
import argparse
import copy
import json
import subprocess
import sys
import time

CONFIGS = {
    "tiny": {"widths": [8, 16, 32, 64], "batch": 16},
    "small": {"widths": [16, 32, 64, 128], "batch": 64},
    "resnet18": {"widths": [64, 128, 256, 512], "batch": 32},
}
QUEUE = 4096
DIM = 128
HIDDEN = 512
TEMPERATURE = 0.2
EMA = 0.99
POOL_IMAGES = 512
MEAN, STD = 0.5, 0.29


def encoder_forward_flops(widths, size=32, channels=3, blocks=2):
    """Conv + dense FLOPs of one forward per image, as client/models/flops.ts counts them."""
    flops = 2 * size * size * 9 * channels * widths[0]
    cin, h = widths[0], size
    for stage, cout in enumerate(widths):
        for b in range(blocks):
            stride = 2 if stage > 0 and b == 0 else 1
            h = -(-h // stride)
            flops += 2 * h * h * 9 * cin * cout + 2 * h * h * 9 * cout * cout
            if stride != 1 or cin != cout:
                flops += 2 * h * h * cin * cout
            cin = cout
    return flops + 2 * widths[-1] * HIDDEN + 2 * HIDDEN * DIM


def moco_step_flops(widths):
    return 4 * encoder_forward_flops(widths) + 2 * 2 * DIM * QUEUE


def build_encoder(widths):
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.short = None
            if stride != 1 or cin != cout:
                self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + (x if self.short is None else self.short(x)))

    layers = [nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True)]
    cin = widths[0]
    for stage, cout in enumerate(widths):
        for b in range(2):
            layers.append(Block(cin, cout, 2 if stage > 0 and b == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, HIDDEN), nn.ReLU(inplace=True), nn.Linear(HIDDEN, DIM)]
    return nn.Sequential(*layers)


def make_step(config, threads, augment):
    """The configuration's MoCo-v2 training step on `threads` threads, as a function of no arguments."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    widths, batch = CONFIGS[config]["widths"], CONFIGS[config]["batch"]
    online = build_encoder(widths)
    key = copy.deepcopy(online)
    for p in key.parameters():
        p.requires_grad_(False)
    queue = F.normalize(torch.randn(QUEUE, DIM), dim=1)
    ptr = 0
    opt = torch.optim.SGD(online.parameters(), lr=0.06, momentum=0.9, weight_decay=5e-4)
    pool = torch.randint(0, 256, (POOL_IMAGES, 3, 32, 32), dtype=torch.uint8)

    def view(idx):
        x = pool[idx].float().div_(255)
        if augment == "simple":
            padded = F.pad(x, (4, 4, 4, 4), mode="reflect")
            offsets = torch.randint(0, 9, (len(idx), 2)).tolist()
            flips = (torch.rand(len(idx)) < 0.5).tolist()
            crops = []
            for i, (dy, dx) in enumerate(offsets):
                c = padded[i, :, dy : dy + 32, dx : dx + 32]
                crops.append(c.flip(2) if flips[i] else c)
            x = torch.stack(crops)
        return (x - MEAN) / STD

    def step():
        nonlocal ptr, queue
        idx = torch.randint(0, POOL_IMAGES, (batch,))
        x1, x2 = view(idx), view(idx)
        with torch.no_grad():
            for pk, pq in zip(key.parameters(), online.parameters()):
                pk.mul_(EMA).add_(pq.detach(), alpha=1 - EMA)
            perm = torch.randperm(batch)
            k = F.normalize(key(x2[perm]), dim=1)[torch.argsort(perm)]
        q = F.normalize(online(x1), dim=1)
        pos = (q * k).sum(1, keepdim=True)
        neg = q @ queue.t()
        logits = torch.cat([pos, neg], 1) / TEMPERATURE
        loss = F.cross_entropy(logits, torch.zeros(batch, dtype=torch.long))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        queue[ptr : ptr + batch] = k
        ptr = (ptr + batch) % QUEUE
        return loss.item()

    return step


def warm_up(step, warmup):
    """Runs `warmup` steps; the seconds the last one took (0 when none ran)."""
    last = 0.0
    for _ in range(warmup):
        t0 = time.perf_counter()
        step()
        last = time.perf_counter() - t0
    return last


def measure(config, threads, warmup, steps, seconds, augment):
    import torch

    step = make_step(config, threads, augment)
    widths, batch = CONFIGS[config]["widths"], CONFIGS[config]["batch"]
    last = warm_up(step, warmup)
    if steps is None:
        steps = max(2, round(seconds / max(last, 1e-3)))
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    elapsed = time.perf_counter() - t0
    img_per_sec = steps * batch / elapsed
    return {
        "config": config,
        "widths": widths,
        "batch": batch,
        "threads": threads,
        "threadsActual": torch.get_num_threads(),
        "steps": steps,
        "seconds": elapsed,
        "imgPerSec": img_per_sec,
        "stepMs": 1000 * elapsed / steps,
        "flopsPerImage": moco_step_flops(widths),
        "gflops": img_per_sec * moco_step_flops(widths) / 1e9,
        "lossLast": loss,
    }


def serve(config, threads, warmup, augment, max_steps):
    """Slices of steps on request, for the bench's interleaved thread scaling (bench/slice-protocol.ts).

    Warms up, writes a ready line, then for each line {"steps": N} on stdin runs N steps and
    writes when they ran and at what pace; ends at the end of stdin. Every line written
    starts with the bench's result prefix. A request above max_steps (the protocol's bound,
    given by the bench) is refused."""
    import torch

    step = make_step(config, threads, augment)
    batch = CONFIGS[config]["batch"]
    last = warm_up(step, max(1, warmup))
    reply({"threadsActual": torch.get_num_threads(), "warmStepMs": 1000 * last, "backend": f"PyTorch {torch.__version__} CPU"})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            steps = json.loads(line)["steps"]
            if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= max_steps:
                raise ValueError(f"steps must be an integer in 1..{max_steps}, got {steps!r}")
        except (ValueError, KeyError, TypeError) as e:
            sys.exit(f"moco_torch.py --serve: bad request {line.strip()[:200]!r}: {e}")
        from_ms = time.time() * 1000
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        elapsed = time.perf_counter() - t0
        reply({"steps": steps, "fromMs": from_ms, "toMs": from_ms + 1000 * elapsed, "imgPerSec": steps * batch / elapsed})


RESULT_PREFIX = "STREAMSSL_BENCH_RESULT "


def reply(obj):
    print(RESULT_PREFIX + json.dumps(obj), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2", help="thread counts, comma-separated (torch.set_num_threads)")
    ap.add_argument("--config", default="all", choices=[*CONFIGS, "all"])
    ap.add_argument("--steps", type=int, default=None, help="timed steps (default: as many as fit in --seconds)")
    ap.add_argument("--seconds", type=float, default=15.0, help="time budget of each measurement")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--augment", default="simple", choices=["simple", "none"])
    ap.add_argument("--quick", action="store_true", help="1 warm-up and 2 timed steps")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.serve:
        w = json.loads(args.serve)
        serve(w["config"], w["threads"], w["warmup"], w["augment"], w["maxSteps"])
        return

    if args.worker:
        w = json.loads(args.worker)
        print(json.dumps(measure(w["config"], w["threads"], w["warmup"], w["steps"], w["seconds"], w["augment"])))
        return

    import torch

    configs = ["small", "resnet18"] if args.config == "all" else [args.config]
    threads = [int(t) for t in args.threads.split(",")]
    warmup, steps = (1, args.steps or 2) if args.quick else (args.warmup, args.steps)
    results = []
    for config in configs:
        for t in threads:
            print(f"torch: MoCo-v2 {config}, {t} thread(s) ...", file=sys.stderr)
            spec = {"config": config, "threads": t, "warmup": warmup, "steps": steps, "seconds": args.seconds, "augment": args.augment}
            out = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)], check=True, capture_output=True, text=True)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    report = {"framework": "pytorch", "torch": torch.__version__, "augment": args.augment, "results": results}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"PyTorch {torch.__version__} CPU, MoCo-v2 step, 32x32x3, queue {QUEUE}, augment {args.augment}")
    print(f"{'config':<9} {'widths':<16} {'batch':>5} {'threads':>7} {'img/s':>8} {'GFLOP/s':>8} {'step ms':>8} {'steps':>6}")
    for r in results:
        widths = "-".join(map(str, r["widths"]))
        print(f"{r['config']:<9} {widths:<16} {r['batch']:>5} {r['threads']:>7} {r['imgPerSec']:>8.1f} {r['gflops']:>8.1f} {r['stepMs']:>8.0f} {r['steps']:>6}")


if __name__ == "__main__":
    main()
