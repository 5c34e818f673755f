"""The conformance engine: everything that talks to a target, and the runner behind ``conformance run``.

Public API: ``run_suite(RunConfig(...))`` returns a ``SuiteResult``; ``RUN_PROFILES`` names the run
profiles; ``ClientConfig`` describes the target. Modules: ``client`` (HTTP with deadlines, budgets
and redacted evidence), ``stream_capture`` (a stream read under hard limits), ``checks`` (the REST
checks and the registry of all), ``run_control`` (polling, tool outputs, cancel), ``scenarios``
(what one example does), ``streamed`` (what one streamed example does), ``setup`` (the suite's
assistants), ``properties`` (what a run exercises, per run profile), ``runner``.
"""

from conformance.engine.client import ClientConfig
from conformance.engine.properties import RUN_PROFILES, RunProfile
from conformance.engine.runner import Progress, RunConfig, run_suite

__all__ = ["RUN_PROFILES", "ClientConfig", "Progress", "RunConfig", "RunProfile", "run_suite"]
