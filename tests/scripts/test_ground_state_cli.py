"""``boltzgym ground-state`` end to end: generated and given instances, and its refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from boltzgym.scripts import cli
from boltzgym.sims.planar import planar_ground_state, planar_spin_glass, read_planar_instance


def test_generated_instance_json_and_files(capsys, tmp_path):
    argv = ["ground-state", "--rows", "6", "--cols", "9", "--couplings", "gaussian", "--seed", "3"]
    assert cli.main([*argv, "--out", str(tmp_path / "a"), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    lattice = planar_spin_glass(6, 9, couplings="gaussian", seed=3)
    assert payload["energy"] == pytest.approx(planar_ground_state(lattice).energy)
    spins = np.loadtxt(tmp_path / "a" / "spins.txt")
    assert spins.shape == (6, 9) and lattice.energy(spins) == pytest.approx(payload["energy"])
    again = read_planar_instance(tmp_path / "a" / "instance.txt")
    assert np.array_equal(again.horizontal, lattice.horizontal)
    # the written instance, given back, gives the same energy
    assert cli.main(["ground-state", "--input", str(tmp_path / "a" / "instance.txt"), "--out", str(tmp_path / "b"),
                     "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["energy"] == pytest.approx(payload["energy"])


def test_refusals_are_usage_errors(capsys, tmp_path):
    (tmp_path / "diag.txt").write_text("0 0 1 1 1.0\n")
    assert cli.main(["ground-state", "--input", str(tmp_path / "diag.txt"), "--out", str(tmp_path / "c")]) == 2
    assert "nearest neighbours" in capsys.readouterr().err
    assert cli.main(["ground-state", "--input", str(tmp_path / "diag.txt"), "--rows", "4"]) == 2
    assert "--rows" in capsys.readouterr().err
    assert cli.main(["ground-state", "--rows", "5000", "--out", str(tmp_path / "d")]) == 2
    assert "at most" in capsys.readouterr().err
