"""Update sizes: what a warmup is for (Kosson et al. 2024, arXiv:2410.23922).

The core of this package is pure NumPy: the rotational-equilibrium formulas
(:mod:`.equilibrium`), the predicted angular update of a schedule (:mod:`.predict`), and judging a
warmup by it — the early peak as a multiple of the equilibrium and the shortest warmup within a
bound (:mod:`.warmup`). docs/updates.md derives the model and reports its tests.
"""
