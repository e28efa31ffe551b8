#!/usr/bin/env python3
"""Medians of bench/cluster/run.sh's runs: `summary.py OUT_DIR` (default /tmp/omegachat-bench/results).

Reads one-node-N.txt and cross-node-N.txt (omegachat-load's output) and prints, per
configuration, each run's figures and their median: p50/p99 delivery latency, daemon CPU per
1,000 deliveries (summed over the daemons), Redis bytes in/out per message, publishes per
message, Redis CPU per 1,000 publishes.
"""

import glob
import re
import statistics
import sys

FIGURES = [
    ("p50 ms", r"latency ms p50 ([\d.]+)"),
    ("p99 ms", r"latency ms p50 [\d.]+ p99 ([\d.]+)"),
    ("daemon CPU-s /1k deliveries", r"daemon CPU: [\d.]+ s = ([\d.]+) CPU-s per 1,000"),
    ("redis bytes in /msg", r"= ([\d.]+) bytes in \+"),
    ("redis bytes out /msg", r"bytes in \+ ([\d.]+) bytes out per message"),
    ("publishes /msg", r"publishes = ([\d.]+) per message"),
    ("redis CPU-s /1k publishes", r"= ([\d.]+) CPU-s per 1,000 publishes"),
]


def figures(path):
    text = open(path).read()
    out = {}
    for name, pattern in FIGURES:
        m = re.search(pattern, text)
        out[name] = float(m.group(1)) if m else None
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/omegachat-bench/results"
    for config in ("one-node", "cross-node"):
        runs = [figures(p) for p in sorted(glob.glob(f"{out_dir}/{config}-[0-9]*.txt"))]
        if not runs:
            continue
        print(f"{config}: {len(runs)} runs")
        for name, _ in FIGURES:
            values = [r[name] for r in runs if r[name] is not None]
            if values:
                shown = ", ".join(f"{v:g}" for v in values)
                print(f"  {name:30} median {statistics.median(values):g}  ({shown})")


if __name__ == "__main__":
    main()
