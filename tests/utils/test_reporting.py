"""utils.reporting: intermediate results reach a listener only while one is installed."""

from __future__ import annotations

import math

from boltzgym.utils.reporting import listening, numeric_items, report, reporting_to


def test_reports_reach_the_listener_only_inside_the_block():
    received = []
    report(loss=1.0)  # nobody listens: a no-op
    assert not listening()
    with reporting_to(received.append):
        assert listening()
        report(epoch=1, loss=0.5, note="text", flag=True, bad=math.nan, nested={"a": 2})
    assert not listening()
    report(loss=0.1)
    assert received == [{"epoch": 1.0, "loss": 0.5, "nested.a": 2.0}]  # finite numbers only, nested keys dotted


def test_numeric_items_flattens_and_drops_what_is_not_a_finite_number():
    assert numeric_items({"a": 1, "b": {"c": 2.5, "d": None}, "e": "x", "f": math.inf, "g": False}) == {
        "a": 1.0,
        "b.c": 2.5,
    }
