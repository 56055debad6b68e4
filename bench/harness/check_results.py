#!/usr/bin/env python3
"""Checks what bench_harness wrote into a directory: harness.md, harness.csv and harness_runs.csv
exist, are well-formed, consistent with each other and with the tuned baselines, and the
Markdown leads with the final loss against tuned schedules (the per-stage regret after it).
Usage: check_results.py <dir>. Exit status 0 when everything holds."""
import csv
import math
import sys
from pathlib import Path

SUMMARY_COLUMNS = ["problem", "family", "budget", "method", "kind", "peak_lr", "seeds", "final_loss_median",
                   "final_loss_q25", "final_loss_q75", "vs_best_tuned", "beats_best_tuned", "search_share_median",
                   "decision_ms_median", "regret_median", "tuning_steps", "incomplete"]
RUN_COLUMNS = ["problem", "method", "peak_lr", "seed", "final_loss", "search_share", "decision_ms", "stages",
               "regret", "completed"]
FAMILIES = {"synthetic", "nqm", "replay"}
SCHEDULES = {"tuned constant", "tuned cosine", "tuned wsd"}


def fail(message):
    print("check_results: " + message)
    sys.exit(1)


def read(path, columns):
    if not path.is_file() or path.stat().st_size == 0:
        fail(f"{path} is missing or empty")
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if rows[0] != columns:
        fail(f"{path}: header {rows[0]} != {columns}")
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(columns):
            fail(f"{path}:{i}: {len(row)} fields, expected {len(columns)}")
    return [dict(zip(columns, row)) for row in rows[1:]]


def number(row, key, where, finite=True):
    try:
        v = float(row[key])
    except ValueError:
        fail(f"{where}: {key} = {row[key]!r} is not a number")
    if finite and not math.isfinite(v):
        fail(f"{where}: {key} = {v} is not finite")
    return v


def main():
    out = Path(sys.argv[1])
    summary = read(out / "harness.csv", SUMMARY_COLUMNS)
    runs = read(out / "harness_runs.csv", RUN_COLUMNS)
    if not summary:
        fail("harness.csv has no rows")
    problems = sorted({r["problem"] for r in summary})
    configs = {r["method"] for r in summary if r["kind"] == "config"}
    if {r["method"] for r in summary if r["kind"] == "tuned_schedule"} != SCHEDULES:
        fail("harness.csv: not every tuned schedule is there")
    if len(summary) != len(problems) * (len(configs) + len(SCHEDULES)):
        fail(f"harness.csv: {len(summary)} rows, expected problems x (configs + 3) = {len(problems)} x {len(configs) + 3}")
    if {r["family"] for r in summary} != FAMILIES:
        fail("harness.csv: not every problem family ran (or an unknown one did)")
    seeds = {int(r["seeds"]) for r in summary}
    if len(seeds) != 1 or min(seeds) < 1:
        fail(f"harness.csv: seeds {seeds}")
    seeds = seeds.pop()
    for i, r in enumerate(summary, start=2):
        where = f"harness.csv:{i}"
        q25, med, q75 = (number(r, f"final_loss_{q}", where) for q in ("q25", "median", "q75"))
        if not q25 <= med <= q75:
            fail(f"{where}: final loss quartiles out of order ({q25}, {med}, {q75})")
        if r["kind"] == "config":
            share = number(r, "search_share_median", where)
            if not 0 <= share <= 1 or number(r, "decision_ms_median", where) <= 0:
                fail(f"{where}: search share outside [0, 1] or non-positive decision time")
            if not 0 <= int(r["incomplete"]) <= seeds:
                fail(f"{where}: incomplete runs {r['incomplete']} outside [0, seeds]")
    for p in problems:
        tuned = [r for r in summary if r["problem"] == p and r["kind"] == "tuned_schedule"]
        best = min(tuned, key=lambda r: number(r, "final_loss_median", p))
        if number(best, "vs_best_tuned", p) != 0.0:
            fail(f"{p}: the best tuned schedule is not its own reference")
        for r in tuned:
            grid = {float(x["peak_lr"]) for x in runs if x["problem"] == p and x["method"] == r["method"][6:]}
            if not any(math.isclose(float(r["peak_lr"]), g, rel_tol=1e-6) for g in grid):
                fail(f"{p}: {r['method']}'s peak LR {r['peak_lr']} is not a grid point")
            if int(r["tuning_steps"]) != len(grid) * int(r["budget"]):
                fail(f"{p}: {r['method']}'s tuning cost is not grid points x budget")
    config_runs = [r for r in runs if r["peak_lr"] == ""]
    if len(config_runs) != len(problems) * len(configs) * seeds:
        fail(f"harness_runs.csv: {len(config_runs)} config runs, expected {len(problems)} x {len(configs)} x {seeds}")
    for i, r in enumerate(runs, start=2):
        for key in ("final_loss", "search_share", "decision_ms", "stages"):
            number(r, key, f"harness_runs.csv:{i}", finite=key != "final_loss")

    md = (out / "harness.md").read_text() if (out / "harness.md").is_file() else fail("harness.md is missing")
    headline, diagnostic = md.find("## Final loss against tuned schedules"), md.find("## Diagnostic: per-stage regret")
    if headline < 0 or diagnostic < 0 or headline > diagnostic:
        fail("harness.md: the final loss against tuned schedules must come first, the regret after it")
    tables, width = 0, None
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            cells = line.count("|")
            if width is None:
                width, tables = cells, tables + 1
            elif cells != width:
                fail(f"harness.md: a table row has {cells - 1} cells, its header {width - 1}: {line}")
        else:
            width = None
    if tables < 2 + len(problems):
        fail(f"harness.md: {tables} tables, expected at least {2 + len(problems)}")
    for p in problems:
        if f"#### {p} " not in md:
            fail(f"harness.md: no section for {p}")
    print(f"check_results: OK ({len(problems)} problems x {len(configs)} configurations, {len(runs)} runs, {tables} tables)")


if __name__ == "__main__":
    main()
