"""The whole model, cut into one block per capability.

Every column and every row of `nsatu.planner.model`'s program belongs to one
capability, except the hub-capacity rows (rule 6), which alone couple them
(docs/planning.md, "Decomposition"). A `CapabilityBlock` is the submatrix of
one capability's columns and rows, with the hub rows its columns touch. Solved
with the hub rows at their full capacity, a block's optimum bounds what that
capability can contribute to any plan (the other capabilities' tonnage is never
negative), so the sum over blocks bounds the objective. Solved with the
capacity the other blocks leave, its solution joins theirs in a valid whole.

Solutions are kept in the whole model's column space: a block's solution is
the whole model's vector restricted to its columns, so plans decode in one
place (`nsatu.planner.decode`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from nsatu.planner.model import COUPLING, LinearProgram
from nsatu.planner.scenario import BoolArray, FloatArray, IntArray
from nsatu.planner.solve import Solution, Solver


@dataclass
class CapabilityBlock:
    """One capability's columns and rows of the whole model, and its solver."""

    capability: int
    code: str
    cols: IntArray  # whole-model columns
    rows: IntArray  # whole-model rows of this capability alone
    hub_rows: IntArray  # whole-model hub-capacity rows its columns touch
    solver: Solver | None = None
    relaxed: bool = True  # the solver's integrality is relaxed
    # the block's best solution so far, in its own columns, and what it proves
    x: FloatArray | None = None
    bound: float = np.inf
    bound_source: str = "none"
    lp_error: float = 0.0  # the solver's LP objective below the true bound from its duals

    @property
    def size(self) -> int:
        return int(self.cols.shape[0])


def capability_blocks(lp: LinearProgram, capability_codes: list[str]) -> list[CapabilityBlock]:
    """The blocks of the model, in capability order (capabilities with no column left out)."""
    col_cap, row_cap = lp.col_capability, lp.row_capability
    hub = np.flatnonzero(row_cap == COUPLING)
    hub_touch = lp.matrix[hub].tocsc()
    blocks = []
    for capability in np.unique(col_cap).tolist():
        cols = np.flatnonzero(col_cap == capability)
        touched = np.unique(hub_touch[:, cols].tocoo().row)
        blocks.append(
            CapabilityBlock(
                capability=int(capability),
                code=capability_codes[int(capability)],
                cols=cols,
                rows=np.flatnonzero(row_cap == capability),
                hub_rows=hub[touched],
            )
        )
    return blocks


@dataclass
class BlockProgram:
    """The arrays of a set of blocks as one program: their columns, rows and the hub rows they touch."""

    cols: IntArray
    rows: IntArray  # the block rows, then the hub rows
    n_hub: int
    cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integer: BoolArray
    matrix: sp.csr_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    hub_capacity: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def hub_rows(self) -> IntArray:
        return self.rows[self.rows.shape[0] - self.n_hub :]

    def solver(self, *, relax_integrality: bool) -> Solver:
        return Solver(
            self.cost,
            self.col_lower,
            self.col_upper,
            self.integer,
            self.matrix,
            self.row_lower,
            self.row_upper,
            relax_integrality=relax_integrality,
        )


def block_program(lp: LinearProgram, blocks: list[CapabilityBlock], hub_capacity: FloatArray) -> BlockProgram:
    """The program of ``blocks`` together, their hub rows capped at ``hub_capacity`` (one entry
    per whole-model row; only hub rows are read)."""
    cols = np.concatenate([b.cols for b in blocks]) if blocks else np.zeros(0, np.int64)
    own = np.concatenate([b.rows for b in blocks]) if blocks else np.zeros(0, np.int64)
    hub = np.unique(np.concatenate([b.hub_rows for b in blocks])) if blocks else np.zeros(0, np.int64)
    rows = np.concatenate([own, hub])
    matrix = lp.matrix[rows][:, cols].tocsr()
    row_upper = lp.row_upper[rows].copy()
    row_upper[own.shape[0] :] = hub_capacity[hub]
    return BlockProgram(
        cols=cols,
        rows=rows,
        n_hub=int(hub.shape[0]),
        cost=lp.col_cost[cols],
        col_lower=lp.col_lower[cols],
        col_upper=lp.col_upper[cols],
        integer=lp.col_integer[cols],
        matrix=matrix,
        row_lower=lp.row_lower[rows],
        row_upper=row_upper,
        hub_capacity=hub_capacity[hub],
    )


def hub_use(lp: LinearProgram, x: FloatArray, hub_rows: IntArray) -> FloatArray:
    """Tonnes a whole-model vector brings through each of ``hub_rows``."""
    return np.asarray(lp.matrix[hub_rows] @ x, dtype=np.float64)


def embed(
    lp: LinearProgram, cols: IntArray, values: FloatArray, into: FloatArray | None = None
) -> FloatArray:
    """A whole-model vector with ``values`` at ``cols`` (added into ``into`` when given)."""
    out = np.zeros(lp.n_cols) if into is None else into
    out[cols] = values
    return out


def lp_error(sol: Solution) -> float:
    """How far the solver's own LP figure sits below the true bound its duals give (>= 0)."""
    if sol.bound is None or sol.reported is None:
        return 0.0
    return max(sol.bound - sol.reported, 0.0)
