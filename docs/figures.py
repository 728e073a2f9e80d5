"""Regenerate the Results page's figures and tables: ``make docs-figures`` (``python docs/figures.py``).

Runs every registered experiment through the command line (``boltzgym experiment NAME --seed 0 --json``) at its
documented settings (the experiment function's defaults) and the tour (``boltzgym demo --json``), then writes under
``docs/results/``:

- ``NAME.json``: the command, the settings, the machine, the date, the commit, the wall time and the summary;
- ``NAME.md``: the fragment the Results page includes (command, provenance, table of figures, the plot);
- ``NAME/*.png``: the plots the experiment wrote;
- ``tour.json``/``tour.md`` and the README's tour section (between ``<!-- tour:start -->`` and
  ``<!-- tour:end -->``), so that the numbers the README shows are these.

``--quick`` runs each experiment at the reduced settings of :data:`QUICK` (a few seconds to a minute each on a
laptop core) and says so in every fragment; ``--only a,b`` runs some. The site build never runs this script.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"
README = ROOT / "README.md"

# name -> the reduced --set options of --quick (the full runs use the experiment's own defaults).
QUICK: dict[str, dict[str, str]] = {
    "parity": {"epochs": "60"},
    "bias-variance": {"n_models": "60"},
    "regularization": {"epochs": "15", "n_seeds": "1"},
    "optimizers": {"encoder_seeds": "1"},
    "degradation": {"blocks": "(1, 2)", "epochs": "1", "n_train": "300"},
    "pooling": {"epochs": "2"},
    "attention-maps": {"epochs": "2"},
    "sequence": {"lengths": "(10, 25)", "epochs": "1", "n_train": "640"},
    "tmaze": {"total_timesteps": "3000", "eval_episodes": "20"},
    "rl-annealing": {
        "total_timesteps": "600",
        "n_train": "4",
        "n_validation": "4",
        "n_instances": "4",
        "n_reads": "16",
        "eval_freq": "300",
    },
    "mode-collapse": {"mixtures": "ring-8", "epochs": "2", "n_points": "2000"},
    "generative-digits": {"epochs": "2"},
}
TOUR_COMMAND = ["boltzgym", "demo", "--seed", "0", "--json"]


def boltzgym() -> str:
    """The ``boltzgym`` entry point beside this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "boltzgym"
    return str(beside) if beside.exists() else "boltzgym"


def provenance() -> dict:
    """The commit, the date and the machine a result was made on."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
        changed = [line for line in dirty.splitlines() if not line.startswith("??") and "docs/results/" not in line]
        commit += "+changes" if changed else ""  # this script's own output does not count as a change
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "commit": commit,
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} (load average {load:.1f})",
        "python": platform.python_version(),
    }


def run_json(command: list[str], cwd: Path) -> tuple[dict, float]:
    """Run a ``--json`` command; its JSON object and wall seconds."""
    start = time.perf_counter()
    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run([boltzgym(), *command[1:]], cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and all(isinstance(v, (int, float)) for v in value) and len(value) <= 8:
        return ", ".join(_cell(v) for v in value)
    return str(value)


def scalar_rows(summary: dict, prefix: str = "") -> list[tuple[str, str]]:
    """The summary's figures as (key, value) rows: numbers, strings, short numeric lists; nested dicts by path."""
    rows = []
    for key, value in summary.items():
        if isinstance(value, dict):
            rows += scalar_rows(value, f"{prefix}{key}/")
        elif isinstance(value, (int, float, str, bool)) or (
            isinstance(value, list) and len(value) <= 8 and all(isinstance(v, (int, float)) for v in value)
        ):
            rows.append((f"{prefix}{key}", _cell(value)))
    return rows


def experiment_fragment(record: dict) -> str:
    """The Markdown the Results page includes for one experiment."""
    name = record["name"]
    lines = [
        f"### `{name}`",
        "",
        f"Made by `{record['command']}` ({record['settings']}), commit `{record['commit']}`, {record['date']}, "
        f"on {record['machine']}, in {record['seconds']:.0f} s.",
        "",
        "| quantity | value |",
        "|---|---|",
        *[f"| `{key}` | {value} |" for key, value in record["rows"]],
        "",
    ]
    for image in record["images"]:
        lines += [f"![{name}: {Path(image).stem}](results/{image})", ""]
    return "\n".join(lines)


def run_experiment(name: str, quick: bool, work: Path) -> dict:
    options = QUICK[name] if quick else {}
    command = ["boltzgym", "experiment", name, "--seed", "0"]
    for key, value in options.items():
        command += ["--set", f"{key}={value}"]
    out = work / name
    summary, seconds = run_json([*command, "--out", str(out), "--json"], work)
    target = RESULTS / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    images = []
    for png in sorted(out.rglob("*.png"))[:4]:
        copy = target / png.name
        shutil.copyfile(png, copy)
        images.append(f"{name}/{png.name}")
    record = {
        "name": name,
        "command": shlex.join(command),
        "settings": "reduced settings of docs/figures.py --quick" if quick else "the experiment's documented defaults",
        "quick": quick,
        "seconds": seconds,
        **provenance(),
        "rows": scalar_rows(summary),
        "images": images,
        "summary": summary,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    (RESULTS / f"{name}.md").write_text(experiment_fragment(record))
    return record


# --- the tour: `boltzgym demo`, whose one-line results the README shows ----------------------------------------------
def tour_markdown(record: dict) -> str:
    """The README's tour section: one line per capability with the demo's one-line result."""
    lines = [
        "| capability | result of `boltzgym demo --seed 0` |",
        "|---|---|",
        *[f"| {part} | {result} |" for part, result in record["results"].items()],
        "",
        f"Made by `{record['command']}`, commit `{record['commit']}`, {record['date']}, on {record['machine']}, "
        f"in {record['seconds']:.0f} s; regenerated by `make docs-figures`.",
    ]
    return "\n".join(lines)


def write_tour_into_readme(record: dict, readme: Path = README) -> None:
    text = readme.read_text()
    start, end = "<!-- tour:start -->", "<!-- tour:end -->"
    if start not in text or end not in text:
        raise ValueError(f"{readme} has no {start} ... {end} section")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{tour_markdown(record)}\n{end}{tail}")


def run_tour(work: Path) -> dict:
    summary, seconds = run_json([*TOUR_COMMAND, "--out", str(work / "demo")], work)
    target = RESULTS / "tour"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    images = []
    for png in sorted((work / "demo").rglob("*.png")):
        name = f"{png.parent.relative_to(work / 'demo').parts[0]}-{png.name}"
        shutil.copyfile(png, target / name)
        images.append(f"tour/{name}")
    record = {
        "command": shlex.join(TOUR_COMMAND),
        "seconds": seconds,
        **provenance(),
        "results": {part: value["result"] for part, value in summary["parts"].items()},
        "images": images,
        "summary": summary,
    }
    (RESULTS / "tour.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    (RESULTS / "tour.md").write_text(tour_markdown(record) + "\n")
    write_tour_into_readme(record)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the reduced settings of QUICK (a few minutes in all)")
    parser.add_argument("--only", default=None, help="comma-separated experiment names, or 'tour'")
    args = parser.parse_args(argv)
    names = list(QUICK) + ["tour"]
    chosen = args.only.split(",") if args.only else names
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"--only: unknown {unknown}; known: {names}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            print(f"docs/figures.py: {name} ...", file=sys.stderr, flush=True)
            record = run_tour(Path(tmp)) if name == "tour" else run_experiment(name, args.quick, Path(tmp))
            print(f"docs/figures.py: {name} done in {record['seconds']:.0f} s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
