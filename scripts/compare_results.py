#!/usr/bin/env python3
"""Are two installations' results identical? Generates cases, runs ``decision-core evaluate --batch``
of each on both engines, and compares the output byte for byte.

    python scripts/compare_results.py --other /path/to/venv-of-another-commit/bin/decision-core

For a refactoring that must change no result: install the commit before it in another venv
(``python -m venv --system-site-packages V && V/bin/pip install --no-deps -e CHECKOUT``) and
point ``--other`` at it. For a change that adds to results, ``--drop KEY`` leaves a key out of
both sides before comparing (dotted, through lists: ``--drop programme --drop recommendations.tags``). Cases: the public worked cases, then random valid ones (each fact known
with a probability that varies from case to case, red flags less often) and one in 25 invalid.
Exit status 1 when any line differs.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from decision_core.catalogue.loading import load_builtin_catalogue
from decision_core.testing import random_facts

REPO = Path(__file__).resolve().parent.parent
PUBLIC = REPO.parent / "shared" / "vignettes" / "public.json"
WORDS = ["running", "sprinting", "football", "cycling", "weightlifting", "yoga", "swimming"]


def cases(count: int, seed: int) -> list[dict]:
    out = [c["facts"] for c in json.loads(PUBLIC.read_text(encoding="utf-8"))["cases"]] if PUBLIC.is_file() else []
    rng = random.Random(seed)
    catalogue = load_builtin_catalogue()
    while len(out) < count:
        facts = random_facts(catalogue, rng, known=rng.choice([0.1, 0.3, 0.5, 0.8]), red_flag_known=0.1, words=WORDS)
        if len(out) % 25 == 7:
            facts[rng.choice(sorted(catalogue.facts))] = "not valid here"
        out.append(facts)
    return out


def run(command: str, engine: str, path: Path) -> list[bytes]:
    done = subprocess.run([command, "evaluate", "--batch", "--no-progress", "--engine", engine, str(path)],
                          capture_output=True, check=True)
    return done.stdout.splitlines()


def dropped(line: bytes, keys: list[list[str]]) -> bytes:
    """A result line without the dotted ``keys`` (through lists); a line that is not a JSON object as it is."""
    if not keys:
        return line
    try:
        data = json.loads(line)
    except ValueError:
        return line
    if not isinstance(data, dict):
        return line

    def drop(node, path):
        if isinstance(node, list):
            for item in node:
                drop(item, path)
        elif isinstance(node, dict) and path:
            if len(path) == 1:
                node.pop(path[0], None)
            elif path[0] in node:
                drop(node[path[0]], path[1:])

    for path in keys:
        drop(data, path)
    return json.dumps(data, sort_keys=True).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, help="the other installation's decision-core")
    parser.add_argument("--ours", default=shutil.which("decision-core") or "decision-core")
    parser.add_argument("--cases", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--drop", action="append", default=[], metavar="KEY",
                        help="leave this (dotted) key out of both results before comparing; repeatable")
    args = parser.parse_args()
    keys = [k.split(".") for k in args.drop]
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        generated = cases(args.cases, args.seed)
        path.write_text("".join(json.dumps(c) + "\n" for c in generated), encoding="utf-8")
        for engine in ("durable", "plain"):
            ours = [dropped(line, keys) for line in run(args.ours, engine, path)]
            other = [dropped(line, keys) for line in run(args.other, engine, path)]
            differ = [i for i, (a, b) in enumerate(zip(ours, other), start=1) if a != b]
            same = len(ours) == len(other) == len(generated) and not differ
            failed |= not same
            print(f"{engine}: {len(generated)} cases, {len(ours)} and {len(other)} result lines, "
                  f"{len(differ)} differ" + (f" (first: line {differ[0]})" if differ else "") + (": identical" if same else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
