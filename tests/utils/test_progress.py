"""utils.progress: one bar maker; a disabled bar is a silent stand-in that still iterates and counts."""

from __future__ import annotations

import subprocess
import sys

from tqdm.auto import tqdm

from boltzgym.utils.progress import progress_bar


def test_a_disabled_bar_iterates_counts_and_closes_silently(capsys):
    with progress_bar(range(3), desc="x", enabled=False) as bar:
        assert list(bar) == [0, 1, 2]
        bar.update(2)
        bar.set_postfix(loss=1.0)
    assert bar.n == 2
    assert capsys.readouterr() == ("", "")


def test_an_enabled_bar_is_tqdm_on_stderr(capsys):
    with progress_bar(total=2, desc="work", enabled=True) as bar:
        assert isinstance(bar, tqdm)
        bar.update(2)
    assert "work" in capsys.readouterr().err


def test_a_disabled_bar_does_not_import_tqdm():
    code = "import sys; from boltzgym.utils.progress import progress_bar; progress_bar(total=1, enabled=False)"
    code += "; print('tqdm' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
