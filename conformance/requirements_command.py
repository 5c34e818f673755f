"""``conformance requirements``: print the requirement catalogue."""

from __future__ import annotations

import argparse
import json
import textwrap

from conformance.core.catalogue import CATALOGUE


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the catalogue as JSON")


def execute(args: argparse.Namespace) -> int:
    if args.json:
        rows = [
            {"id": r.id, "level": r.level.value, "area": r.area.value, "text": r.text, "spec": r.spec}
            for r in CATALOGUE
        ]
        print(json.dumps(rows, indent=2))
        return 0
    for r in CATALOGUE:
        print(f"{r.id:<9} {r.level.value:<6} [{r.area.value}]")
        print(textwrap.indent(textwrap.fill(r.text, 88), "    "))
        print(f"    spec: {r.spec}")
    return 0
