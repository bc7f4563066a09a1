"""Update sizes: what a warmup is for (Kosson et al. 2024, arXiv:2410.23922).

The core of this package is pure NumPy: the rotational-equilibrium formulas
(:mod:`.equilibrium`) and, on top of them, the predicted angular update of a schedule.
"""
