"""``conformance requirements``: print the requirement catalogue, and what a spec profile changes."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from conformance.core.catalogue import CATALOGUE
from conformance.core.claims import BEHAVIOURS, CLAIMABLE, OPTIONAL
from conformance.core.spec.profiles import DEFAULT_PROFILE, SPEC_PROFILES, SpecProfile


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print the catalogue as JSON (with --spec-profile: an object of the catalogue, "
                             "'requirements', and the profile, 'spec_profile')")
    parser.add_argument("--features", action="store_true",
                        help="print instead the features a target may claim (--claims, --without): which are "
                             "optional, and which requirements only they exercise")
    parser.add_argument("--spec-profile", choices=list(SPEC_PROFILES), default=None,
                        help=f"after the catalogue, print how this spec version differs from {DEFAULT_PROFILE.name}: "
                             "its OpenAI-Beta header and each change of the spec it undoes, with its date")


def execute(args: argparse.Namespace) -> int:
    profile = SPEC_PROFILES[args.spec_profile] if args.spec_profile else None
    if args.features:
        rows = _features(profile or DEFAULT_PROFILE)
        print(json.dumps(rows, indent=2) if args.json else "\n".join(_feature_lines(rows)))
        return 0
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


def _features(profile: SpecProfile) -> list[dict[str, Any]]:
    """Every claimable feature: what it is, whether a certified server may lack it, whether the
    spec profile has it, and the requirements only it (or features like it) exercise."""
    return [
        {"feature": name, "description": description, "optional": name in OPTIONAL,
         "in_profile": name in profile.features or name in BEHAVIOURS,
         "requirements": [r.id for r in CATALOGUE if name in r.features]}
        for name, description in CLAIMABLE.items()
    ]


def _feature_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["Features a target may claim (every one is claimed unless a claims file or --without says not):"]
    for row in rows:
        marks = [word for word, shown in (("optional", row["optional"]), ("core", not row["optional"]),
                                          ("not in this spec profile", not row["in_profile"])) if shown]
        lines.append(f"{row['feature']:<22} {', '.join(marks)}")
        lines.append(textwrap.fill(row["description"], 88, initial_indent="    ", subsequent_indent="    "))
        if row["requirements"]:
            lines.append(f"    unsupported without it (or the features like it): {', '.join(row['requirements'])}")
    return lines


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
