"""Small pieces shared by every boltzgym package: atomic file writes and argument validation.

Nothing here imports torch; it is safe to import from ``boltzgym.sims`` and ``boltzgym.envs``.
"""

from boltzgym.utils.io import atomic_write_bytes, atomic_write_json, atomic_write_text, read_json
from boltzgym.utils.validation import (
    check_bool,
    check_count,
    check_in_range,
    check_int,
    check_positive,
    check_probability,
    check_seed,
    check_widths,
)

__all__ = [
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "read_json",
    "check_bool",
    "check_count",
    "check_in_range",
    "check_int",
    "check_positive",
    "check_probability",
    "check_seed",
    "check_widths",
]
