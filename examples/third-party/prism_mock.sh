#!/usr/bin/env bash
# Serve the official OpenAPI document with Stoplight Prism (npm @stoplight/prism-cli), a generic
# spec-driven mock: stateless, it answers every operation from the spec's examples (static) or
# from random schema-valid data (--dynamic). Nothing is installed into the suite's venv.
#
# How to run it:
#     examples/third-party/prism_mock.sh [PORT] [extra prism flags, e.g. --dynamic --seed 7]
#     conformance run --base-url http://127.0.0.1:4010 --api-key prism-any-key-123 \
#         --claims examples/third-party/prism.toml --poll-timeout 5
#
# Mind: the spec's paths have no /v1 prefix (servers[0] is https://api.openai.com/v1), so the base
# URL is the bare host; Prism answers 401 without an "Authorization: Bearer ..." header and takes any
# key; its runs never leave "queued", so a short --poll-timeout keeps a run short. It takes about
# 20 s to load the spec before it listens. Stop it with Ctrl-C.
set -euo pipefail
PORT="${1:-4010}"; shift || true
PREFIX="${PRISM_PREFIX:-/tmp/prism-cli}"
SPEC="${SPEC:-$(dirname "$0")/../../../shared/spec/openai-openapi.yaml}"  # the official spec, beside the clone
[ -x "$PREFIX/node_modules/.bin/prism" ] || npm install --prefix "$PREFIX" @stoplight/prism-cli
exec "$PREFIX/node_modules/.bin/prism" mock --host 127.0.0.1 --port "$PORT" "$@" "$SPEC"
