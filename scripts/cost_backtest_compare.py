#!/usr/bin/env python3
"""`landfall cost backtest` beside statsforecast on the same series file, same run.

    .venv/bin/pip install -r scripts/requirements-bench.txt
    .venv/bin/python scripts/cost_backtest_compare.py SERIES.csv.gz [--landfall BIN] [--json OUT]

Scores statsforecast's SeasonalNaive(7), AutoETS(season 7) and AutoTheta(season 7)
exactly as `landfall cost backtest` scores its own forecaster (the scoring of
../shared/data/cost/README.md), with the same preparation: fees forecast on
their own (last month's fee carried), training usage above 2 x the rolling
28-day median replaced by that median, 80 % intervals from the 10th and 90th
percentiles of the method's own ratios actual/forecast on the 6 previous
origins (pooled over series; next-month ratios only where the actual was
known at the cutoff). Prints both side by side with wall times. Exit 1 when
landfall is worse than the best anchor at any cutoff or its coverage is
outside [0.75, 0.85].
"""

import argparse
import calendar
import datetime as dt
import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive

CUTOFFS = (0, 10, 20)
MODELS = ("SeasonalNaive", "AutoETS", "AutoTheta")


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        frame = pd.read_csv(f, dtype={"series": str})
    frame["ds"] = pd.to_datetime(frame["ds"])
    return frame


def clean(usage):
    """Values above 2 x the rolling 28-day median (the day and the 27 before)
    replaced by that median: the README's preparation, and landfall's."""
    median = pd.Series(usage).rolling(28, min_periods=1).median().to_numpy()
    return np.where(usage > 2 * median, median, usage)


def add_months(month, k):
    index = month[0] * 12 + month[1] - 1 + k
    return (index // 12, index % 12 + 1)


def first_day(month):
    return dt.date(month[0], month[1], 1)


def month_len(month):
    return calendar.monthrange(*month)[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("series")
    parser.add_argument("--landfall", default=os.environ.get("LANDFALL_BIN", "landfall"))
    parser.add_argument("--json", help="write both results here")
    args = parser.parse_args()

    started = time.perf_counter()
    landfall = json.loads(subprocess.run(
        [args.landfall, "cost", "backtest", "--series", args.series, "--format", "json"],
        check=True, capture_output=True, text=True).stdout)
    landfall_seconds = time.perf_counter() - started

    frame = read(args.series)
    names = list(dict.fromkeys(frame["series"]))
    days = sorted(frame["ds"].dt.date.unique())
    start, end = days[0], days[-1]
    usage = {n: g["usage"].to_numpy(float) for n, g in frame.groupby("series", sort=False)}
    fee = {n: g["fee"].to_numpy(float) for n, g in frame.groupby("series", sort=False)}
    cleaned = {n: clean(u) for n, u in usage.items()}
    index = lambda d: (d - start).days  # noqa: E731

    last = (end.year, end.month) if end.day == month_len((end.year, end.month)) else add_months((end.year, end.month), -1)
    origins = [add_months(last, k) for k in range(-12, 0)]

    def month_sum(values, month):
        a = index(first_day(month))
        return values[a:a + month_len(month)].sum()

    started = time.perf_counter()
    # forecasts[model][cutoff][series][origin] = (month_end, next_month, actual_me, actual_nm)
    forecasts = {m: {c: {n: [] for n in names} for c in CUTOFFS} for m in MODELS}
    for month in origins:
        following = add_months(month, 1)
        for c in CUTOFFS:
            cutoff = index(first_day(month)) + c
            rest = month_len(month) - c
            horizon = rest + month_len(following)
            train = pd.DataFrame({
                "unique_id": np.repeat(names, cutoff),
                "ds": np.tile(pd.to_datetime(days[:cutoff]), len(names)),
                "y": np.concatenate([cleaned[n][:cutoff] for n in names]),
            })
            sf = StatsForecast(models=[SeasonalNaive(7), AutoETS(season_length=7), AutoTheta(season_length=7)],
                               freq="D", n_jobs=1)
            predicted = sf.forecast(df=train, h=horizon)
            for n in names:
                rows = predicted[predicted["unique_id"] == n]
                a = index(first_day(month))
                seen_total = (usage[n][a:cutoff] + fee[n][a:cutoff]).sum()
                last_fee = month_sum(fee[n], add_months(month, -1))
                fee_this = fee[n][a:cutoff].sum() if c > 0 else last_fee
                actual_me = month_sum(usage[n], month) + month_sum(fee[n], month)
                actual_nm = month_sum(usage[n], following) + month_sum(fee[n], following)
                for m in MODELS:
                    values = np.maximum(rows[m].to_numpy(float), 0)
                    month_end = seen_total + values[:rest].sum() + (last_fee if c == 0 else 0)
                    next_month = values[rest:].sum() + (fee_this if fee_this > 0 else last_fee)
                    forecasts[m][c][n].append((month_end, next_month, actual_me, actual_nm))
    anchor_seconds = time.perf_counter() - started

    def score(cases):
        result = {"month_end_mape": {}, "next_month_mape": {}, "coverage80_month_end": {}, "coverage80_next_month": {}}
        for c in CUTOFFS:
            ape_me, ape_nm, cov_me, cov_nm = [], [], [], []
            for o in range(6, 12):
                r_me = [cases[c][n][j][2] / cases[c][n][j][0] for n in names for j in range(o - 6, o)]
                r_nm = [cases[c][n][j][3] / cases[c][n][j][1] for n in names for j in range(o - 7, o - 1) if j >= 0]
                lo_me, hi_me = np.quantile(r_me, [0.1, 0.9])
                lo_nm, hi_nm = np.quantile(r_nm, [0.1, 0.9])
                for n in names:
                    me, nm, a_me, a_nm = cases[c][n][o]
                    ape_me.append(abs(me - a_me) / a_me)
                    ape_nm.append(abs(nm - a_nm) / a_nm)
                    cov_me.append(me * lo_me <= a_me <= me * hi_me)
                    cov_nm.append(nm * lo_nm <= a_nm <= nm * hi_nm)
            key = str(c)
            result["month_end_mape"][key] = float(np.mean(ape_me))
            result["next_month_mape"][key] = float(np.mean(ape_nm))
            result["coverage80_month_end"][key] = float(np.mean(cov_me))
            result["coverage80_next_month"][key] = float(np.mean(cov_nm))
        return result

    results = {"landfall": landfall}
    results.update({m: score(forecasts[m]) for m in MODELS})

    def row(label, r):
        cells = [f"{100 * r['month_end_mape'][str(c)]:.2f}" for c in CUTOFFS]
        cells += [f"{100 * r['next_month_mape'][str(c)]:.2f}" for c in CUTOFFS]
        cells += [f"{r['coverage80_month_end'][str(c)]:.2f}" for c in CUTOFFS]
        cells += [f"{r['coverage80_next_month'][str(c)]:.2f}" for c in CUTOFFS]
        return f"| {label} | " + " / ".join(cells[0:3]) + " | " + " / ".join(cells[3:6]) + " | " \
            + " / ".join(cells[6:9]) + " | " + " / ".join(cells[9:12]) + " |"

    print(f"{args.series}: {len(names)} series, scored origins {origins[6][0]}-{origins[6][1]:02}"
          f" to {origins[-1][0]}-{origins[-1][1]:02}, {len(names) * 6} cases per cutoff")
    print("| method | month-end MAPE % c=0/10/20 | next-month MAPE % c=0/10/20 "
          "| 80% coverage month-end | 80% coverage next month |")
    print("|---|---|---|---|---|")
    print(row("landfall", landfall))
    for m in MODELS:
        print(row(f"statsforecast {m} (7), prep", results[m]))
    print(f"\nwall time: landfall cost backtest {landfall_seconds:.2f} s (process, 108 forecasts per series); "
          f"statsforecast three models {anchor_seconds:.1f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "seconds": {"landfall": landfall_seconds, "statsforecast": anchor_seconds}},
                      f, indent=2, sort_keys=True)

    worse = []
    for target in ("month_end_mape", "next_month_mape"):
        for c in CUTOFFS:
            best = min(results[m][target][str(c)] for m in MODELS)
            if landfall[target][str(c)] > best:
                worse.append(f"{target} at day {c}: {landfall[target][str(c)]:.4f} > best anchor {best:.4f}")
    for target in ("coverage80_month_end", "coverage80_next_month"):
        for c in CUTOFFS:
            if not 0.75 <= landfall[target][str(c)] <= 0.85:
                worse.append(f"{target} at day {c}: {landfall[target][str(c)]:.2f} outside [0.75, 0.85]")
    for line in worse:
        print("worse:", line, file=sys.stderr)
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
