"""``conformance run``: certify a server (by default the embedded reference server).

Exit codes: 0 every MUST requirement passed (with ``--strict`` every SHOULD too); 1 at least
one failed; 2 usage error; 3 the run could not be carried out (target unreachable, internal
error of the suite); 130 interrupted (a partial report is still written).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import secrets
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the engine loads when a run starts, not when the CLI does
    from conformance.core.claims import Claims
    from conformance.core.redaction import Redactor
    from conformance.core.results import SuiteResult
    from conformance.engine import Progress
    from conformance.streaming.captured import StreamLimits

EMBEDDED_MODELS = ("gpt-4o", "gpt-4o-mini")  # two, so that a model override is observable
PROFILE_NAMES = ("quick", "standard", "deep")
REPORT_FORMATS = ("json", "junit", "html", "markdown")
SPEC_PROFILE_NAMES = ("v1", "v2-2024Q2", "v2-current")  # kept equal to SPEC_PROFILES by a test
DEFAULT_REPORT_ROOT = "conformance-reports"
PLAIN_PROGRESS_INTERVAL = 10.0  # seconds between progress lines when stderr is not a terminal


def configure(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("target")
    target.add_argument("--base-url", metavar="URL",
                        help="the API base URL, e.g. https://api.example.com/v1 (default: $OPENAI_BASE_URL, "
                             "else start the embedded reference server)")
    target.add_argument("--api-key", metavar="KEY",
                        help="bearer key (default: $OPENAI_API_KEY); never printed or written")
    target.add_argument("--header", metavar="'Name: value'", action="append", default=[], type=_header,
                        help="send this header on every request (repeatable; overrides the spec profile's OpenAI-Beta)")
    target.add_argument("--secret-header", metavar="NAME", action="append", default=[],
                        help="redact this header's value in every report and output (repeatable)")
    target.add_argument("--assistant-id", metavar="ID",
                        help="use this existing assistant (fetched for its values) instead of creating the suite's")
    target.add_argument("--model", metavar="NAME", action="append", dest="models",
                        help="a model the target serves (repeatable; give two so that a model override can show): "
                             "the suite's two assistants use the first two, requests override with any of them "
                             "(default: those GET /models lists, else gpt-4o; "
                             f"{' and '.join(EMBEDDED_MODELS)} for the embedded server)")
    run = parser.add_argument_group("run")
    run.add_argument("--profile", choices=PROFILE_NAMES, default="standard",
                     help="quick (smoke), standard (certification, the default) or deep (fuzzing)")
    run.add_argument("--seed", type=_non_negative_int, metavar="N",
                     help="seed of the generated requests (default: random, printed); same seed, same requests")
    run.add_argument("--max-requests", type=_positive_int, metavar="N",
                     help="stop sending after N requests (the report is marked partial)")
    run.add_argument("--max-time", type=_positive_float, metavar="S",
                     help="stop starting work after S seconds (the report is marked partial)")
    run.add_argument("--concurrency", type=_positive_int, default=8, metavar="N",
                     help="requests in flight at once (default: 8)")
    run.add_argument("--request-timeout", type=_positive_float, default=30.0, metavar="S",
                     help="deadline of one request, body included (default: 30)")
    run.add_argument("--poll-timeout", type=_positive_float, default=60.0, metavar="S",
                     help="how long a run may take to settle while polled (default: 60)")
    run.add_argument("--stream-first-byte", type=_positive_float, metavar="S",
                     help="how long a stream may take to send its headers and first byte (default: --request-timeout)")
    run.add_argument("--stream-idle", type=_positive_float, metavar="S",
                     help="the longest silence allowed inside a stream (default: --request-timeout)")
    run.add_argument("--stream-total", type=_positive_float, metavar="S",
                     help="how long a whole stream may last (default: --poll-timeout)")
    run.add_argument("--stream-max-bytes", type=_positive_int, metavar="N",
                     help="the most bytes read from one stream before it is cut (default: 16 MiB)")
    run.add_argument("--stream-max-events", type=_positive_int, metavar="N",
                     help="the most events read from one stream before it is cut (default: 20000)")
    run.add_argument("--max-response-bytes", type=_positive_int, metavar="N",
                     help="the most bytes read of one answer that is not a stream, after decoding (default: 8 MiB)")
    run.add_argument("--rate-limit-wait", type=_non_negative_float, metavar="S",
                     help="seconds the whole run may spend waiting on 429 answers (default: 60)")
    run.add_argument("--strict", action="store_true", help="SHOULD requirements count too for the exit code")
    claims = parser.add_argument_group("claims (what the target offers)")
    claims.add_argument("--claims", metavar="FILE",
                        help="the target's claims file (TOML): its name and version, its spec profile, the features "
                             "it does not offer (see README, 'Feature claims')")
    claims.add_argument("--without", metavar="FEATURE", action="append", default=[],
                        help="a feature the target does not offer (repeatable): never sent, and requirements only it "
                             "exercises are unsupported, not failed; `conformance requirements --features` lists them")
    claims.add_argument("--spec-profile", metavar="PROFILE", choices=SPEC_PROFILE_NAMES,
                        help="the request surface the target is judged against: "
                             f"{', '.join(SPEC_PROFILE_NAMES)} (default: the claims file's, else v2-current; "
                             "`conformance requirements --spec-profile P` lists what each changes)")
    claims.add_argument("--certify", action="store_true",
                        help="a certification run: refuse anything that would weaken it (leaving out a feature that "
                             "is not optional, --max-requests, --max-time, a profile other than standard)")
    output = parser.add_argument_group("output")
    output.add_argument("--report-dir", metavar="DIR",
                        help=f"where to write the reports (default: ./{DEFAULT_REPORT_ROOT}/run-YYYYmmdd-HHMMSS/)")
    output.add_argument("--format", dest="formats", action="append", choices=REPORT_FORMATS, metavar="FORMAT",
                        help=f"report formats to write (repeatable; one of {', '.join(REPORT_FORMATS)}; default: all)")


def execute(args: argparse.Namespace) -> int:
    base_url = args.base_url or os.environ.get("OPENAI_BASE_URL") or None
    if base_url is not None:
        problem = _url_problem(base_url)
        if problem:
            return _usage_error(f"--base-url {_without_credentials(base_url)!r}: {problem}")
    api_key = args.api_key or os.environ.get("OPENAI_API_KEY") or None
    short = _short_secret(args, api_key)
    if short:
        return _usage_error(short)
    from conformance.core.claims import ClaimsError

    try:
        claims = _claims(args)
    except ClaimsError as error:
        return _usage_error(str(error))
    if args.spec_profile and claims.spec_profile and args.spec_profile != claims.spec_profile:
        return _usage_error(f"--spec-profile {args.spec_profile}: the claims file says {claims.spec_profile}")
    spec_profile = args.spec_profile or claims.spec_profile or "v2-current"
    if args.certify:
        weakening = _weakening(args, claims)
        if weakening:
            return _usage_error(f"--certify: {weakening}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    report_dir = Path(args.report_dir or f"{DEFAULT_REPORT_ROOT}/run-{time.strftime('%Y%m%d-%H%M%S')}")

    logging.basicConfig(level=logging.WARNING, format="conformance run: %(message)s", stream=sys.stderr)
    from conformance.engine.client import ClientConfig

    redactor = ClientConfig(base_url=base_url or "", api_key=api_key, headers=dict(args.header),
                            secret_headers=frozenset(args.secret_header)).redactor()
    previous = signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM stops a run as Ctrl-C does
    try:
        return _certify(args, base_url, api_key, seed, report_dir, claims, spec_profile)
    except Exception:  # a bug of ours, never the target's fault: exit 3, said as such
        _say(redactor, f"internal error (a bug of the suite, not of the target):\n{traceback.format_exc()}")
        return 3
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _say(redactor: Redactor, text: str) -> None:
    """A line for the user on stderr: no secret, no control character a target slipped in."""
    from reports.summary import visible

    print(visible(redactor.text(text)), file=sys.stderr)


def _short_secret(args: argparse.Namespace, api_key: str | None) -> str | None:
    """Why a secret is too short to be kept out of reports (None: none is). A secret is redacted
    wherever it occurs, so a one-letter key would be cut out of every word that holds the letter."""
    from conformance.core.redaction import FRAGMENT

    origin = "--api-key" if args.api_key else "$OPENAI_API_KEY"
    secrets = [(origin, api_key)] + [(f"--header {name}", value) for name, value in args.header
                                     if name.lower() in {h.lower() for h in args.secret_header}]
    for origin, secret in secrets:
        if secret is not None and len(secret) < FRAGMENT:
            return (f"{origin}: a secret shorter than {FRAGMENT} characters cannot be told apart from ordinary text "
                    "in reports; use a longer one (a target that takes any key takes a long one too)")
    return None


def _claims(args: argparse.Namespace) -> Claims:
    """The claims of the claims file, with --without's features unclaimed too."""
    from conformance.core.claims import Claims, load_claims

    claims = load_claims(args.claims) if args.claims else Claims()
    return claims.without(args.without)


def _weakening(args: argparse.Namespace, claims: Claims) -> str | None:
    """What would make this run no certification (None: nothing)."""
    from conformance.core.claims import OPTIONAL

    if claims.weakening:
        return (f"leaving out {', '.join(claims.weakening)} would weaken the certification: it is core behaviour, "
                f"not an optional feature (optional: {', '.join(sorted(OPTIONAL))})")
    cuts = [flag for flag, value in (("--max-requests", args.max_requests), ("--max-time", args.max_time))
            if value is not None]
    if cuts:
        return f"{' and '.join(cuts)} would cut the run short: a certification runs to the end"
    if args.profile != "standard":
        return f"--profile {args.profile}: a certification runs the standard profile"
    return None


def _certify(args: argparse.Namespace, base_url: str | None, api_key: str | None, seed: int, report_dir: Path,
             claims: Claims, spec_profile: str) -> int:
    from conformance.core.catalogue import AUTH_001
    from conformance.core.errors import Interrupted, SetupError
    from conformance.core.spec.profiles import get_profile
    from conformance.engine import RUN_PROFILES, ClientConfig, RunConfig, run_suite

    with _target(base_url, api_key, spec_profile) as (url, key):
        client = ClientConfig(
            base_url=url, api_key=key, headers=dict(args.header), secret_headers=frozenset(args.secret_header),
            request_timeout=args.request_timeout, concurrency=args.concurrency,
            **({"max_response_bytes": args.max_response_bytes} if args.max_response_bytes else {}),
        )
        config = RunConfig(
            client=client, profile=RUN_PROFILES[args.profile], seed=seed,
            models=tuple(args.models) if args.models else (EMBEDDED_MODELS if base_url is None else None),
            assistant_id=args.assistant_id, claims=claims, certification=args.certify,
            spec_profile=get_profile(spec_profile), max_requests=args.max_requests, max_time=args.max_time,
            poll_timeout=args.poll_timeout, stream_limits=stream_limits(args),
            **({"rate_limit_wait": args.rate_limit_wait} if args.rate_limit_wait is not None else {}),
            # The reference server takes any file id; another target has none the suite knows of.
            file_ids=None if base_url is None else (), vector_store_ids=None if base_url is None else (),
        )
        redactor = client.redactor()
        _say(redactor, f"conformance run: {url} (profile {args.profile}, spec profile {spec_profile}, seed {seed})")
        if base_url is not None and key and not args.api_key:
            _say(redactor, f"using the key in $OPENAI_API_KEY ({AUTH_001.id} checks that the target refuses a "
                           "wrong one)")
        progress = ProgressLine(sys.stderr)
        try:
            result = run_suite(config, on_progress=progress.update)
        except SetupError as error:
            progress.close()
            _say(redactor, f"error: {error}")
            return 3
        except Interrupted as interrupted:
            progress.close()
            _finish(interrupted.result, report_dir, args, redactor)
            _say(redactor, "interrupted: the report is partial")
            return 130
        progress.close()
        return _finish(result, report_dir, args, redactor)


def _finish(result: SuiteResult, report_dir: Path, args: argparse.Namespace, redactor: Redactor) -> int:
    from reports.summary import visible
    from reports.writer import write_reports

    print(visible(redactor.text(render_table(result))))
    written = write_reports(result, report_dir, formats=args.formats or REPORT_FORMATS, redactor=redactor)
    for error in result.internal_errors:
        _say(redactor, f"internal error (a bug of the suite, not of the target): {error}")
    if result.not_judged:
        _say(redactor, f"not judged: {result.not_judged}")
    for note in result.notes:
        _say(redactor, f"note: {note}")
    print(f"reports: {', '.join(str(path) for path in written.values())}", file=sys.stderr)
    return result.exit_code(strict=args.strict)


@contextlib.contextmanager
def _target(base_url: str | None, api_key: str | None, spec_profile: str) -> Iterator[tuple[str, str | None]]:
    """The given target, or the embedded reference server (with a fresh key, serving ``spec_profile``)
    while the run lasts."""
    if base_url is not None:
        yield base_url, api_key
        return
    from conformance.server import create_app
    from conformance.server.background import running_server
    from conformance.server.config import ServerConfig

    key = secrets.token_urlsafe(24)  # the reference server requires a key, so AUTH-001 is exercised
    with running_server(create_app(ServerConfig(api_key=key, spec_profile=spec_profile))) as url:
        yield url, key


def stream_limits(args: argparse.Namespace) -> StreamLimits:
    """The limits of every stream, from the --stream-* flags; by default a stream may be silent for
    a request deadline, and last as long as a polled run may take to settle."""
    from conformance.streaming.captured import StreamLimits

    defaults = StreamLimits()
    return StreamLimits(
        first_byte=args.stream_first_byte or args.request_timeout,
        idle=args.stream_idle or args.request_timeout,
        total=args.stream_total or args.poll_timeout,
        max_bytes=args.stream_max_bytes or defaults.max_bytes,
        max_events=args.stream_max_events or defaults.max_events,
    )


def render_table(result: SuiteResult) -> str:
    """The final per-requirement table, one line each, and a summary line."""
    from reports.summary import first_finding, one_line, reasons_text, title

    lines = [f"{'requirement':<10} {'level':<6} {'verdict':<14} {'exercised':>9}  first finding, or why not judged"]
    for item in result.results:
        first = one_line(first_finding(item) or reasons_text(item), 100)
        lines.append(f"{item.requirement.id:<10} {item.requirement.level.value:<6} {item.verdict.value:<14} "
                     f"{item.exercised:>9}  {first}")
    counts: dict[str, int] = {}
    for item in result.results:
        counts[item.verdict.value] = counts.get(item.verdict.value, 0) + 1
    summary = ", ".join(f"{count} {verdict}" for verdict, count in sorted(counts.items()))
    partial = " (partial)" if result.partial else ""
    lines.append(f"{summary}; {result.requests_sent} requests in {result.duration:.1f} s{partial}")
    lines.append(f"verdict: {title(result)}")
    return "\n".join(lines)


class ProgressLine:
    """A live line on a terminal (rewritten in place), or a plain line every few seconds otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.last_plain = 0.0
        self.width = 0

    def update(self, progress: Progress) -> None:
        text = (f"{progress.phase}: {progress.done}/{progress.total} items, {progress.requests} requests, "
                f"{progress.failing} failing, {progress.elapsed:.0f} s")
        if self.live:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = len(text)
            self.stream.flush()
        elif progress.elapsed - self.last_plain >= PLAIN_PROGRESS_INTERVAL:
            self.last_plain = progress.elapsed
            print(text, file=self.stream)

    def close(self) -> None:
        if self.live and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


# --- argument parsing ----------------------------------------------------------------------

def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a positive integer, got 0")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if parts.username is not None or parts.password is not None:
        return ("credentials in the URL are not used: give the key with --api-key or $OPENAI_API_KEY "
                "(or a header with --header and --secret-header)")
    if not parts.hostname:
        return "no host"
    try:
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError as error:
        return str(error)
    return None


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _usage_error(message: str) -> int:
    print(f"conformance run: error: {message}", file=sys.stderr)
    return 2

