"""``conformance serve``: run the reference server until Ctrl-C."""

from __future__ import annotations

import argparse

from conformance.core.spec.profiles import DEFAULT_PROFILE, SPEC_PROFILES

DEFAULT_DELAY = 0.2  # slower than the tests' default, so a person can watch a stream unfold


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    parser.add_argument("--api-key", metavar="KEY", default=None,
                        help="require 'Authorization: Bearer KEY' on every request (default: no auth)")
    parser.add_argument("--delay", metavar="SECONDS", type=_non_negative, default=DEFAULT_DELAY,
                        help="seconds between two status changes of a run (default: %(default)s)")
    parser.add_argument("--spec-profile", choices=list(SPEC_PROFILES), default=DEFAULT_PROFILE.name,
                        help="the spec version to serve: its request schemas, object fields and stream events "
                             f"({'; '.join(f'{p.name}: {p.summary}' for p in SPEC_PROFILES.values())}) "
                             "(default: %(default)s)")


def execute(args: argparse.Namespace) -> int:
    import uvicorn

    from conformance.server.app import create_app
    from conformance.server.config import ServerConfig

    app = create_app(ServerConfig(api_key=args.api_key, step_delay=args.delay, spec_profile=args.spec_profile))
    url = f"http://{_url_host(args.host)}:{args.port}/v1"
    auth = "a bearer key is required" if args.api_key else "no key required"
    served = f"spec profile {args.spec_profile}, OpenAI-Beta: {SPEC_PROFILES[args.spec_profile].beta}"

    class AnnouncingServer(uvicorn.Server):
        """Prints the URL once the socket is actually listening."""

        async def startup(self, sockets: list | None = None) -> None:  # type: ignore[override]
            await super().startup(sockets)
            if self.started:
                print(f"Reference server listening on {url} ({served}; {auth}); press Ctrl-C to stop.", flush=True)

    server = AnnouncingServer(
        uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    )
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn shuts down gracefully on Ctrl-C, then re-raises SIGINT
        pass
    if not server.started:
        return 1
    print("Reference server stopped.", flush=True)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value

