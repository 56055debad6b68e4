#!/usr/bin/env python3
"""Checks what bench_harness wrote into a directory: harness.csv, harness_runs.csv and
harness.md exist, are well-formed, consistent with each other, and hold finite figures.
Usage: check_results.py <dir>. Exit status 0 when everything holds."""
import csv
import math
import sys
from pathlib import Path

SUMMARY_COLUMNS = ["problem", "family", "budget", "acquisition", "kernel", "forecaster", "seeds",
                   "regret_median", "regret_q25", "regret_q75", "final_loss_median", "final_loss_q25",
                   "final_loss_q75", "search_steps_median", "search_steps_q25", "search_steps_q75",
                   "decision_ms_median", "decision_ms_q25", "decision_ms_q75", "incomplete"]
RUN_COLUMNS = ["problem", "acquisition", "kernel", "forecaster", "seed", "regret", "final_loss",
               "search_steps", "decision_ms", "stages", "completed"]
FAMILIES = {"synthetic", "nqm", "replay"}


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


def number(row, key, where):
    try:
        v = float(row[key])
    except ValueError:
        fail(f"{where}: {key} = {row[key]!r} is not a number")
    if not math.isfinite(v):
        fail(f"{where}: {key} = {v} is not finite")
    return v


def main():
    out = Path(sys.argv[1])
    summary = read(out / "harness.csv", SUMMARY_COLUMNS)
    runs = read(out / "harness_runs.csv", RUN_COLUMNS)
    if not summary:
        fail("harness.csv has no rows")
    problems = {r["problem"] for r in summary}
    combos = {(r["acquisition"], r["kernel"], r["forecaster"]) for r in summary}
    if len(summary) != len(problems) * len(combos):
        fail(f"harness.csv: {len(summary)} rows, expected problems x combinations = {len(problems)} x {len(combos)}")
    if not {r["family"] for r in summary} <= FAMILIES:
        fail("harness.csv: unknown problem family")
    if not {r["family"] for r in summary} == FAMILIES:
        fail("harness.csv: not every problem family ran")
    seeds = {int(r["seeds"]) for r in summary}
    if len(seeds) != 1 or min(seeds) < 1:
        fail(f"harness.csv: seeds {seeds}")
    for i, r in enumerate(summary, start=2):
        where = f"harness.csv:{i}"
        for metric in ("regret", "final_loss", "search_steps", "decision_ms"):
            q25, med, q75 = (number(r, f"{metric}_{q}", where) for q in ("q25", "median", "q75"))
            if not q25 <= med <= q75:
                fail(f"{where}: {metric} quartiles out of order ({q25}, {med}, {q75})")
        if number(r, "regret_q25", where) < 0 or number(r, "decision_ms_q25", where) <= 0:
            fail(f"{where}: negative regret or non-positive decision time")
    if len(runs) != len(summary) * seeds.pop():
        fail(f"harness_runs.csv: {len(runs)} rows, expected {len(summary)} x seeds")
    for i, r in enumerate(runs, start=2):
        for key in ("regret", "final_loss", "search_steps", "decision_ms", "stages"):
            number(r, key, f"harness_runs.csv:{i}")
    # Every built-in acquisition and the user-supplied one ran.
    acquisitions = {c[0] for c in combos}
    for a in ("EI", "LCB", "PI", "Thompson", "EI_margin"):
        if a not in acquisitions:
            fail(f"acquisition {a} missing from the results")

    md = (out / "harness.md").read_text() if (out / "harness.md").is_file() else fail("harness.md is missing")
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
    if tables < 4 + len(problems):
        fail(f"harness.md: {tables} tables, expected at least {4 + len(problems)}")
    for p in problems:
        if f"### {p} " not in md:
            fail(f"harness.md: no section for {p}")
    print(f"check_results: OK ({len(problems)} problems x {len(combos)} combinations, {len(runs)} runs, {tables} tables)")


if __name__ == "__main__":
    main()
