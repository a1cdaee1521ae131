"""Shared test set-up: Hypothesis profiles and a guard against leaked modes."""

import os

import pytest
from hypothesis import HealthCheck, settings

from engine import is_grad_enabled
from engine.modes import _tracing, is_anomaly_enabled

# dev: quick feedback; ci: reproducible; thorough: many more examples, for a long run.
settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _no_leaked_modes():
    """Fail a test that leaves no_grad, detect_anomaly or a trace's refusals switched on."""
    before = is_grad_enabled(), is_anomaly_enabled(), _tracing.get()
    yield
    after = is_grad_enabled(), is_anomaly_enabled(), _tracing.get()
    assert after == before, "a test leaked no_grad/detect_anomaly/tracing state"


@pytest.fixture
def close_figures():
    """Close every matplotlib figure a test opened; modules that draw use it for each test."""
    yield
    import matplotlib.pyplot as plt  # loaded already by the test that drew

    plt.close("all")


@pytest.fixture
def register_op():
    """``register_op(op)``: make ``op`` one of Value's ops for one test, a new op or a changed
    rule of one the table has (``dataclasses.replace(ops.TANH, derivative=...)``); the
    table and Value's methods are put back after the test."""
    from engine.value import register, unregister

    changes = []

    def register_for_this_test(op):
        changes.append((op.name, register(op)))
        return op

    yield register_for_this_test
    for name, replaced in reversed(changes):
        if replaced is None:
            unregister(name)
        else:
            register(replaced)
