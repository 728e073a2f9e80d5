"""``boltzgym envs``: list every registered boltzgym environment."""

from __future__ import annotations

import argparse
import sys

from boltzgym.utils.io import to_json

HELP = "list the registered boltzgym environments"
DESCRIPTION = "List every boltzgym environment registered with Gymnasium, with a one-line description."
EXAMPLES = ["boltzgym envs", "boltzgym envs --json"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def list_envs() -> list[dict[str, str]]:
    """``[{"id", "kind", "description"}]`` for every boltzgym env: Gymnasium-registered ones (kind
    ``"gymnasium"``), then PettingZoo ones (kind ``"pettingzoo"``, made by their factory function)."""
    from boltzgym.envs import ENV_DESCRIPTIONS, PETTINGZOO_ENVS, boltzgym_env_ids

    envs = [{"id": i, "kind": "gymnasium", "description": ENV_DESCRIPTIONS[i]} for i in boltzgym_env_ids()]
    envs += [{"id": i, "kind": "pettingzoo", "description": d} for i, (_, d) in sorted(PETTINGZOO_ENVS.items())]
    return envs


def run(args: argparse.Namespace) -> dict:
    envs = list_envs()
    if args.json:
        sys.stdout.write(to_json({"envs": envs}, indent=None) + "\n")
    else:
        width = max((len(e["id"]) for e in envs), default=0)
        for entry in envs:
            sys.stdout.write(f"{entry['id'].ljust(width)}  {entry['kind']:<10}  {entry['description']}\n")
    return {"envs": envs}
