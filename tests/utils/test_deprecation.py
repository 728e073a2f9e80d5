"""Renamed keyword arguments: the old spelling works with one warning naming the new one."""

import warnings

import pytest

from boltzgym.utils.deprecation import renamed_kwargs


@renamed_kwargs(n_sweeps="num_sweeps")
def sweep(model, num_sweeps=10):
    return model, num_sweeps


def test_the_old_keyword_is_passed_on_with_one_warning():
    with pytest.warns(DeprecationWarning, match="^sweep: n_sweeps is deprecated; use num_sweeps$") as record:
        assert sweep("m", n_sweeps=3) == ("m", 3)
    assert len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sweep("m", num_sweeps=4) == ("m", 4)
    with pytest.raises(TypeError, match="give num_sweeps only"):
        sweep("m", n_sweeps=3, num_sweeps=4)
    assert sweep.__name__ == "sweep" and sweep.__renamed_kwargs__ == {"n_sweeps": "num_sweeps"}
