#!/usr/bin/python3
"""Make drift/testdata/fixtures.json: reference values from numpy and scipy.

Run from the repository root with Debian's python3 (numpy, scipy):

    /usr/bin/python3 drift/testdata/make_fixtures.py > drift/testdata/fixtures.json

The Go tests (drift/stats_test.go) read the JSON; they never run Python.
Definitions follow drift/doc.go: bins are the reference's deciles (numpy's
default "linear" quantiles) with duplicate edges merged, a value v falls in
bin searchsorted(edges, v, side="left") (bins are closed on the right),
PSI uses proportions floored at 1e-4, JS is the squared scipy
jensenshannon distance in base 2 (a divergence in [0, 1]), KS is
ks_2samp(method="asymp"), chi-squared is chi2_contingency(correction=False)
on the 2 x K table of reference and current counts.
"""
import json
import sys

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

EPS = 1e-4
rng = np.random.default_rng(20260101)


def bins_of(ref, nbins=10):
    q = np.quantile(ref, np.arange(1, nbins) / nbins)
    return np.unique(q)


def numeric_case(name, ref, cur, nbins=10):
    ref = np.asarray(ref, dtype=float)
    cur = np.asarray(cur, dtype=float)
    edges = bins_of(ref, nbins)
    rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1)
    cc = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1)
    rp = rc / rc.sum()
    cp = cc / cc.sum()
    rpf = np.maximum(rp, EPS)
    cpf = np.maximum(cp, EPS)
    psi = float(np.sum((cpf - rpf) * np.log(cpf / rpf)))
    js = float(jensenshannon(rp, cp, base=2) ** 2)
    ks = stats.ks_2samp(ref, cur, method="asymp")
    return {
        "name": name,
        "reference": ref.tolist(),
        "current": cur.tolist(),
        "bins": nbins,
        "edges": edges.tolist(),
        "referenceCounts": rc.tolist(),
        "currentCounts": cc.tolist(),
        "psi": psi,
        "js": js,
        "ksStatistic": float(ks.statistic),
        "ksPValue": float(ks.pvalue),
        "wasserstein": float(stats.wasserstein_distance(ref, cur)),
    }


def category_case(name, ref, cur):
    levels = sorted(set(ref) | set(cur))
    rc = np.array([ref.count(v) for v in levels], dtype=float)
    cc = np.array([cur.count(v) for v in levels], dtype=float)
    rp = rc / rc.sum()
    cp = cc / cc.sum()
    rpf = np.maximum(rp, EPS)
    cpf = np.maximum(cp, EPS)
    psi = float(np.sum((cpf - rpf) * np.log(cpf / rpf)))
    js = float(jensenshannon(rp, cp, base=2) ** 2)
    chi2, p, dof, _ = stats.chi2_contingency(np.array([rc, cc]), correction=False)
    return {
        "name": name,
        "reference": ref,
        "current": cur,
        "psi": psi,
        "js": js,
        "chi2Statistic": float(chi2),
        "chi2PValue": float(p),
        "chi2Dof": int(dof),
        "unseen": sorted(set(cur) - set(ref)),
    }


def main():
    numeric = [
        numeric_case("normal-shift", rng.normal(0, 1, 400), rng.normal(0.3, 1, 300)),
        numeric_case("normal-same", rng.normal(5, 2, 1000), rng.normal(5, 2, 800)),
        numeric_case("scale", rng.normal(0, 1, 250), rng.normal(0, 1.6, 350)),
        numeric_case("big-shift", rng.normal(0, 1, 600), rng.normal(2.5, 1, 500)),
        numeric_case("integers-ties", rng.integers(0, 24, 700), rng.integers(3, 24, 650)),
        numeric_case("weekday", rng.integers(0, 7, 500), rng.integers(0, 7, 520)),
        numeric_case("skewed", rng.exponential(10, 900), rng.exponential(13, 700)),
        numeric_case("tiny", [1.0, 2.0, 3.0, 4.0, 5.0], [2.5, 3.5, 6.0]),
        numeric_case("small-n", rng.normal(0, 1, 30), rng.normal(0.5, 1, 40)),
        numeric_case("heavy-ties", np.repeat([1.0, 2.0, 3.0], [500, 30, 20]), np.repeat([1.0, 2.0, 3.0, 4.0], [300, 100, 50, 10])),
        numeric_case("five-bins", rng.uniform(0, 1, 500), rng.uniform(0.1, 1.1, 400), nbins=5),
    ]
    letters = list("abcde")
    categories = [
        category_case("letters-same", rng.choice(letters, 800, p=[0.4, 0.3, 0.15, 0.1, 0.05]).tolist(),
                      rng.choice(letters, 600, p=[0.4, 0.3, 0.15, 0.1, 0.05]).tolist()),
        category_case("letters-shift", rng.choice(letters, 800, p=[0.4, 0.3, 0.15, 0.1, 0.05]).tolist(),
                      rng.choice(letters, 600, p=[0.2, 0.2, 0.2, 0.2, 0.2]).tolist()),
        category_case("unseen", rng.choice(letters[:3], 500).tolist(),
                      rng.choice(letters, 400).tolist()),
        category_case("two-levels", ["x"] * 70 + ["y"] * 30, ["x"] * 55 + ["y"] * 45),
    ]
    # The one-sample two-sided KS survival function over every region of
    # Simard & L'Ecuyer's algorithm, and the one-sided Smirnov SF.
    kstwo = []
    for n in [1, 2, 5, 10, 50, 140, 141, 500, 5000, 100000, 100001, 250000, 1500000]:
        for x in [0.0005, 0.002, 0.004, 0.01, 0.02, 0.05, 0.08, 0.12, 0.2, 0.35, 0.6, 0.9, 0.99]:
            kstwo.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    smirnov = []
    for n in [2, 3, 10, 100, 1000, 20000, 300000, 2000000]:
        for x in [0.001, 0.01, 0.03, 0.1, 0.3, 0.7]:
            smirnov.append({"n": n, "x": x, "sf": float(special.smirnov(n, x))})
    quantiles = []
    for name, v in [("odd", rng.normal(0, 1, 101)), ("even", rng.normal(0, 1, 10)), ("ties", [1, 1, 1, 2, 2, 3, 9])]:
        v = np.asarray(v, dtype=float)
        ps = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
        quantiles.append({"name": name, "values": v.tolist(), "p": ps, "q": np.quantile(v, ps).tolist()})
    out = {
        "generator": "drift/testdata/make_fixtures.py",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "epsilon": EPS,
        "numeric": numeric,
        "categories": categories,
        "kstwo": kstwo,
        "smirnov": smirnov,
        "quantiles": quantiles,
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
