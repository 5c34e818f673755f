"""``conformance requirements``: print the requirement catalogue, and what a spec profile changes."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from conformance.core.catalogue import CATALOGUE
from conformance.core.spec.profiles import DEFAULT_PROFILE, SPEC_PROFILES, SpecProfile


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print the catalogue as JSON (with --spec-profile: an object of the catalogue, "
                             "'requirements', and the profile, 'spec_profile')")
    parser.add_argument("--spec-profile", choices=list(SPEC_PROFILES), default=None,
                        help=f"after the catalogue, print how this spec version differs from {DEFAULT_PROFILE.name}: "
                             "its OpenAI-Beta header and each change of the spec it undoes, with its date")


def execute(args: argparse.Namespace) -> int:
    profile = SPEC_PROFILES[args.spec_profile] if args.spec_profile else None
    if args.json:
        rows = [
            {"id": r.id, "level": r.level.value, "area": r.area.value, "text": r.text, "spec": r.spec}
            for r in CATALOGUE
        ]
        document: Any = rows if profile is None else {"requirements": rows, "spec_profile": _profile_json(profile)}
        print(json.dumps(document, indent=2))
        return 0
    for r in CATALOGUE:
        print(f"{r.id:<9} {r.level.value:<6} [{r.area.value}]")
        print(textwrap.indent(textwrap.fill(r.text, 88), "    "))
        print(f"    spec: {r.spec}")
    if profile is not None:
        print()
        print("\n".join(_profile_lines(profile)))
    return 0


def _profile_json(profile: SpecProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "summary": profile.summary,
        "beta": profile.beta,
        "features": sorted(profile.features),
        "differences_from": DEFAULT_PROFILE.name,
        "changes": [change.summary for change in profile.changes],
    }


def _profile_lines(profile: SpecProfile) -> list[str]:
    lines = [f"Spec profile {profile.name}: {profile.summary}", f"    header: OpenAI-Beta: {profile.beta}"]
    if not profile.changes:
        return [*lines, f"    no differences: {profile.name} is the shipped spec"]
    lines.append(f"    differences from {DEFAULT_PROFILE.name} ({len(profile.changes)}), newest first:")
    for change in profile.changes:
        lines.append(textwrap.fill(change.summary, 88, initial_indent="    - ", subsequent_indent="      "))
    return lines
