"""The rotational-equilibrium formulas against hand-computed values (Kosson et al. 2023)."""

import math

import numpy as np
import pytest

from warmupctl.updates import equilibrium as eq


def test_adamw_matches_the_reference_simulation_value():
    # shared reference: η = 1e-2, λ = 0.1, β1 = 0.9 settles at 0.0103 rad in a direct simulation
    assert eq.adamw(1e-2, 0.1, 0.9) == pytest.approx(0.0103, rel=5e-3)
    # by hand: 2·0.01·0.1·0.1/1.9 = 1.0526315789e-4, sqrt = 0.0102597835
    assert eq.adamw(1e-2, 0.1, 0.9) == pytest.approx(0.010259783520851542, rel=1e-14)


def test_sgd_and_lion_by_hand():
    # SGD: sqrt(2·0.1·5e-4/1.9) = sqrt(5.263157894736842e-05)
    assert eq.sgd(0.1, 5e-4, 0.9) == pytest.approx(0.007254762501100116, rel=1e-14)
    # Lion: sqrt(pi/2)·sqrt(2·1e-4·1.0)·sqrt(0.01 + 0.81·0.01/1.99)
    spread = 0.01 + 0.81 * 0.01 / 1.99
    want = math.sqrt(math.pi / 2) * math.sqrt(2e-4) * math.sqrt(spread)
    assert eq.lion(1e-4, 1.0, 0.9, 0.99) == pytest.approx(want, rel=1e-14)
    assert want == pytest.approx(0.0021025, rel=1e-4)


def test_vectorised_and_from_a_training_block():
    lr = np.array([0.0, 1e-3, 4e-3])
    out = eq.equilibrium(lr, {"optimizer": "AdamW", "beta1": 0.9, "weight_decay": 0.1})
    assert out.shape == (3,)
    assert out[0] == 0.0
    assert out[2] == pytest.approx(2 * out[1], rel=1e-14)  # ∝ √η


@pytest.mark.parametrize("training, needle", [
    ({}, "no optimizer"),
    ({"optimizer": "adafactor", "weight_decay": 0.1}, "no published equilibrium"),
    ({"optimizer": "adamw", "weight_decay": 0}, "weight decay is 0"),
])
def test_no_equilibrium_says_why(training, needle):
    assert eq.equilibrium(1e-3, training) is None
    assert needle in eq.why_none(training)
