#!/usr/bin/python3
"""Peer of BenchmarkDriftFlights/end-to-end, with pandas + numpy + scipy.

January 2001 against each of February-June, every statistic on every feature
(hour and weekday derived from the date, distance, delay, origin,
destination), as ferry computes them (drift/doc.go): PSI and Jensen-Shannon
over the reference's decile bins, ks_2samp(method="asymp"),
wasserstein_distance, chi2_contingency(correction=False), unseen categories.

Debian's python3 has no parquet reader, so the peer reads the CSV export of
flights-3m.parquet (go run ./drift/testdata/bench/export ...); that read is
its "reading the data".

    /usr/bin/python3 drift/testdata/bench/peer_drift.py /tmp/flights-3m.csv [--json OUT]
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

EPS = 1e-4
BINS = 10
NUMBERS = ["hour", "weekday", "distance", "delay"]
CATEGORIES = ["origin", "destination"]


def psi(r, c):
    r = np.maximum(r / r.sum(), EPS)
    c = np.maximum(c / c.sum(), EPS)
    return float(np.sum((c - r) * np.log(c / r)))


def js(r, c):
    return float(jensenshannon(r / r.sum(), c / c.sum(), base=2) ** 2)


def profile(ref):
    prof = {}
    for name in NUMBERS:
        v = np.sort(ref[name].dropna().to_numpy(dtype=float))
        edges = np.unique(np.quantile(v, np.arange(1, BINS) / BINS))
        counts = np.bincount(np.searchsorted(edges, v, side="left"), minlength=len(edges) + 1)
        prof[name] = (v, edges, counts)
    for name in CATEGORIES:
        vc = ref[name].value_counts()
        prof[name] = vc[vc > 0]
    return prof


def compare(prof, cur):
    out = {}
    for name in NUMBERS:
        v, edges, rc = prof[name]
        c = cur[name].dropna().to_numpy(dtype=float)
        cc = np.bincount(np.searchsorted(edges, c, side="left"), minlength=len(edges) + 1)
        ks = stats.ks_2samp(v, c, method="asymp")
        out[name] = {
            "psi": psi(rc, cc), "js": js(rc, cc),
            "ks": {"statistic": float(ks.statistic), "pValue": float(ks.pvalue)},
            "wasserstein": float(stats.wasserstein_distance(v, c)),
        }
    for name in CATEGORIES:
        rc = prof[name]
        cc = cur[name].value_counts()
        cc = cc[cc > 0]
        levels = rc.index.union(cc.index)
        r = rc.reindex(levels, fill_value=0).to_numpy(dtype=float)
        c = cc.reindex(levels, fill_value=0).to_numpy(dtype=float)
        chi2, p, _, _ = stats.chi2_contingency(np.array([r, c]), correction=False)
        out[name] = {
            "psi": psi(r, c), "js": js(r, c),
            "chi2": {"statistic": float(chi2), "pValue": float(p)},
            "unseen": sorted(set(cc.index) - set(rc.index)),
        }
    return out


def main():
    path = sys.argv[1]
    t0, c0 = time.perf_counter(), time.process_time()
    df = pd.read_csv(path, dtype={"origin": "category", "destination": "category"})
    date = pd.to_datetime(df["date"], format="%Y-%m-%dT%H:%M:%SZ")
    df["hour"] = date.dt.hour
    df["weekday"] = date.dt.weekday
    month = date.dt.month
    months = [df[month == m] for m in range(1, 7)]
    t1, c1 = time.perf_counter(), time.process_time()
    prof = profile(months[0])
    results = {m + 1: compare(prof, months[m]) for m in range(1, 6)}
    t2, c2 = time.perf_counter(), time.process_time()
    # CPU time next to wall time: on a shared machine the wall clock mostly
    # measures the other jobs.
    print(f"read {t1 - t0:.3f}s (cpu {c1 - c0:.3f}s), statistics {t2 - t1:.3f}s (cpu {c2 - c1:.3f}s), "
          f"rows {[len(m) for m in months]}", file=sys.stderr)
    if len(sys.argv) > 3 and sys.argv[2] == "--json":
        with open(sys.argv[3], "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
