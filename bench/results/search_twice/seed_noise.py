#!/usr/bin/env python3
"""The ninth session's point 3: how far a method must lead the tuned cosine to pass issue 17's
bar (median of 3 seeds at or above the best-of-grid cosine's) on every network task.

Reads the suite's runs (seeds 1-3 / 101-103) and the eighth session's (seeds 4-6 / 104-106),
pairs each method's run with the cosine at its tuned peak (chosen on the first 3 seeds) by
seed, and prints per task and mode: the mean paired difference and its standard error, the
stddev of a median-of-3 difference (1.2 x the paired stddev / sqrt(3)), and the lead that
passes with probability 0.944 (12 pairs then all pass with probability 1/2).

    python3 bench/results/search_twice/seed_noise.py
"""
import collections
import csv
import math
import pathlib
import statistics as st

HERE = pathlib.Path(__file__).resolve().parent
FILES = [HERE.parent / "suite" / "runs.csv", HERE / "eighth_session_runs.csv"]

runs = collections.defaultdict(dict)
for path in FILES:
    for r in csv.DictReader(open(path)):
        if r["family"] == "fmnist" and r["method"] in ("cosine", "autolrs", "autolrs_zero"):
            runs[(r["task"], r["method"], r["peak_lr"])][int(r["seed"])] = float(r["metric"])

z = 1.59  # the standard normal's 0.944 quantile
for task in sorted({k[0] for k in runs}):
    cosine = {k[2]: v for k, v in runs.items() if k[0] == task and k[1] == "cosine"}
    first = sorted(next(iter(cosine.values())))[:3]
    peak = max(cosine, key=lambda p: st.median(cosine[p][s] for s in first))
    cells = []
    for method in ("autolrs", "autolrs_zero"):
        ran = next(v for k, v in runs.items() if k[0] == task and k[1] == method)
        seeds = sorted(set(ran) & set(cosine[peak]))
        d = [ran[s] - cosine[peak][s] for s in seeds]
        spread = 1.2 * st.stdev(d) / math.sqrt(3)
        cells.append(f"{method}: {st.mean(d):+.2f} ({st.stdev(d) / math.sqrt(len(d)):.2f}), "
                     f"median-of-3 stddev {spread:.2f}, lead needed {z * spread:.2f} (n={len(d)})")
    print(f"{task} (cosine at {peak}): " + "; ".join(cells))
