"""Bounds that hold whatever the solver did: Lagrangian bounds from any row prices.

For ``max c @ x`` subject to ``row_lower <= A x <= row_upper`` and
``col_lower <= x <= col_upper``, and *any* vector of row prices ``y``:

    c @ x = y @ (A x) + (c - A^T y) @ x
          <= sum_i max(y_i row_lower_i, y_i row_upper_i)
           + sum_j max(d_j col_lower_j, d_j col_upper_j),   d = c - A^T y,

for every feasible x, since each ``y_i (A x)_i`` is at most the larger of the
price times either side of the row, and each ``d_j x_j`` at most the larger of
the reduced cost times either column bound. A row whose side in the price's
direction is infinite takes price 0 (it would give an infinite bound). So the
duals of an LP solved to optimality give its optimum back, up to tolerances,
and the duals of an interrupted or inexact solve still give a true bound: it
does not rely on the solver's tolerances or status at all. The model keeps
every column bounded (`nsatu.planner.model`) so that no reduced cost makes
the bound infinite.

Floating-point error is accounted for by a margin far above the rounding of
these sums (``ROUNDING`` times the sum of the magnitudes involved).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from nsatu.planner.scenario import FloatArray

# Relative margin on the magnitudes summed: double precision rounds each operation by
# 1.1e-16; a column or row sums tens to thousands of terms.
ROUNDING = 1e-12


@dataclass(frozen=True)
class DualBound:
    """A bound and the prices it came from (clipped as the bound used them)."""

    value: float
    prices: FloatArray
    reduced_costs: FloatArray


def dual_bound(
    cost: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
    matrix: sp.csr_matrix,
    row_lower: FloatArray,
    row_upper: FloatArray,
    prices: FloatArray,
) -> DualBound:
    """An upper bound of ``max cost @ x`` over the rows and column bounds, from row ``prices``."""
    y = np.asarray(prices, dtype=np.float64).copy()
    y[~np.isfinite(y)] = 0.0
    y[(y > 0) & ~np.isfinite(row_upper)] = 0.0
    y[(y < 0) & ~np.isfinite(row_lower)] = 0.0
    reduced = cost - matrix.T @ y
    with np.errstate(invalid="ignore"):
        row_term = np.where(y > 0, y * row_upper, np.where(y < 0, y * row_lower, 0.0))
        col_term = np.where(reduced > 0, reduced * col_upper, np.where(reduced < 0, reduced * col_lower, 0.0))
    if not (np.all(np.isfinite(row_term)) and np.all(np.isfinite(col_term))):
        return DualBound(np.inf, y, reduced)
    value = float(row_term.sum() + col_term.sum())
    reach = np.maximum(np.abs(col_lower), np.abs(col_upper))
    magnitude = float(np.abs(row_term).sum() + ((np.abs(cost) + abs(matrix).T @ np.abs(y)) * reach).sum())
    return DualBound(value + ROUNDING * magnitude, y, reduced)


def best_dual_bound(
    cost: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
    matrix: sp.csr_matrix,
    row_lower: FloatArray,
    row_upper: FloatArray,
    prices: FloatArray,
) -> DualBound:
    """`dual_bound` of the prices and of their negation, whichever is lower: solvers differ in
    the sign they give duals of a maximisation, and either is a valid bound."""
    a = dual_bound(cost, col_lower, col_upper, matrix, row_lower, row_upper, prices)
    b = dual_bound(cost, col_lower, col_upper, matrix, row_lower, row_upper, -np.asarray(prices))
    return a if a.value <= b.value else b
