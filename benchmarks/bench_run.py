"""Wall time and request rate of ``conformance run`` against the embedded reference server.

Runs the real command (a subprocess, as a user would) once per profile with a fixed seed, and
reads the request count from its report.json. Takes about 15 seconds for quick and standard;
add ``--profile deep`` for the fuzzing profile (a few minutes).

    python benchmarks/bench_run.py [--profile quick --profile standard] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(profile: str, concurrency: int, seed: int, base_url: str | None = None,
            api_key: str | None = None) -> tuple[float, int, str]:
    """(wall seconds, requests sent, exit code) of one run; against ``base_url`` if given, else
    the embedded reference server the command starts itself. The key goes through the
    environment, never the command line."""
    target = ["--base-url", base_url] if base_url else []
    environment = {**os.environ, "OPENAI_API_KEY": api_key} if api_key else None
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--profile", profile, "--seed", str(seed),
             "--concurrency", str(concurrency), "--report-dir", directory, "--format", "json", *target],
            capture_output=True, text=True, check=False, env=environment,
        )
        elapsed = time.perf_counter() - start
        report = json.loads((Path(directory) / "report.json").read_text())
    return elapsed, report["requests_sent"], str(completed.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="append", choices=("quick", "standard", "deep"),
                        help="profiles to run (repeatable; default: quick and standard)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{'profile':10} {'wall s':>7} {'requests':>9} {'requests/s':>10} {'exit':>5}")
    for profile in args.profile or ["quick", "standard"]:
        elapsed, requests, code = measure(profile, args.concurrency, args.seed)
        print(f"{profile:10} {elapsed:7.1f} {requests:9} {requests / elapsed:10.0f} {code:>5}")


if __name__ == "__main__":
    main()
