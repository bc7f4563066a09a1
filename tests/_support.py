"""Shared by the tests that compare warmupctl with the real libraries."""

import numpy as np
from typer.testing import CliRunner

#: curves must agree with the reference implementations to this relative tolerance
RTOL = 1e-12
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}
_runner = CliRunner()


def run(*args, input=None):
    """Invoke the real CLI (every command registered), with colour off and a wide terminal."""
    from warmupctl.cli import app

    return _runner.invoke(app, list(args), input=input, env=ENV)


def step_through(opt, sched, n: int) -> np.ndarray:
    """The rate each of ``n`` updates uses: read before ``optimizer.step(); scheduler.step()``,
    the order every training loop (and HF's Trainer) runs them in."""
    out = np.empty(n, dtype=np.float64)
    for k in range(n):
        out[k] = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
    return out


def assert_same(ours, ref) -> None:
    assert np.shape(ours) == np.shape(ref)
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0)
