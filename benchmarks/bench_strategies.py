"""Generation speed of the request strategies, in examples per second.

Each strategy runs as a Hypothesis test would run it (generate phase only: no shrinking, no
example database), with a fixed seed; the time includes Hypothesis's own engine, which is most
of it. Takes about 20 seconds with the defaults.

    python benchmarks/bench_strategies.py [--examples 2000]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import strategies


def measure(strategy: st.SearchStrategy[Any], count: int) -> tuple[float, float]:
    """(examples per second, mean JSON size in bytes) over ``count`` examples."""
    sizes: list[int] = []

    @settings(max_examples=count, phases=[Phase.generate], database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def generate(example: Any) -> None:
        body = example.content if isinstance(example, strategies.InvalidRequest) else example
        sizes.append(len(body) if isinstance(body, bytes) else len(json.dumps(body, ensure_ascii=False)))

    start = time.perf_counter()
    generate()
    elapsed = time.perf_counter() - start
    return len(sizes) / elapsed, sum(sizes) / len(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="examples of the valid strategy (others: a share)")
    count = parser.parse_args().examples
    cases = [
        ("create_thread_and_run_requests", strategies.create_thread_and_run_requests(), count),
        ("invalid_requests", strategies.invalid_requests(), count // 2),
        ("requests_with_overrides", strategies.requests_with_overrides(), count // 4),
        ("requests_forcing_requires_action", strategies.requests_forcing_requires_action(), count // 4),
        ("requests_ending_incomplete", strategies.requests_ending_incomplete(), count // 4),
    ]
    print(f"{'strategy':34} {'examples':>8} {'examples/s':>10} {'mean JSON bytes':>16}")
    for name, strategy, examples in cases:
        rate, size = measure(strategy, examples)
        print(f"{name:34} {examples:8} {rate:10.0f} {size:16.0f}")


if __name__ == "__main__":
    main()
