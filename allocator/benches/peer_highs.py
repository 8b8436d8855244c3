"""Solves the LPs exported by iodao-allocator's benchmark (`first_round_lps`:
every LP of the LP method's first round) with scipy's linprog (HiGHS).

Same formulation as the Rust side, LP by LP: maximise objective.x over
lo <= x <= hi and, for each row, min <= sum(coefs[k] * x[vars[k]]) <= max
(either side may be absent). Only the linprog calls are timed (best of 3
for each LP, summed). Prints three numbers: the summed seconds, the largest
difference between HiGHS's optimum and the one microlp found, and how many
LPs one solver found infeasible and the other did not.
"""

import json
import sys
import time

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix


def build(lp):
    n = len(lp["lo"])
    rows, cols, vals, rhs = [], [], [], []
    for row in lp["rows"]:
        for sign, bound in ((1.0, row.get("max")), (-1.0, row.get("min"))):
            if bound is None:
                continue
            r = len(rhs)
            rows.extend([r] * len(row["vars"]))
            cols.extend(row["vars"])
            vals.extend(sign * c for c in row["coefs"])
            rhs.append(sign * bound)
    a = coo_matrix((vals, (rows, cols)), shape=(len(rhs), n)).tocsr() if rhs else None
    b = np.asarray(rhs) if rhs else None
    c = -np.asarray(lp["objective"], dtype=float)
    bounds = list(zip(lp["lo"], lp["hi"]))
    return c, a, b, bounds


def main(path):
    with open(path) as f:
        lps = json.load(f)["lps"]
    total, max_diff, disagree, worst = 0.0, 0.0, 0, None
    for lp in lps:
        c, a, b, bounds = build(lp)
        best = None
        for _ in range(3):
            start = time.perf_counter()
            res = linprog(c, A_ub=a, b_ub=b, bounds=bounds, method="highs")
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        total += best
        ours = lp.get("optimum")
        if res.status == 2:
            disagree += ours is not None
        elif res.status == 0:
            if ours is None:
                disagree += 1
            else:
                diff = abs(-res.fun - ours)
                if diff > max_diff:
                    max_diff, worst = diff, (lp["kind"], ours)
        else:
            sys.exit(f"HiGHS ({lp['kind']}): {res.message}")
    print(f"{total:.6f} {max_diff:.3e} {disagree}")
    print(f"{len(lps)} LPs; largest difference on {worst}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
