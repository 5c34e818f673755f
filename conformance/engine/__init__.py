"""The conformance engine: checks, the run lifecycle, and the runner behind ``conformance run``.

Public API: ``run_suite(RunConfig(...))`` returns a ``SuiteResult``; ``PROFILES`` names the
profiles; ``ClientConfig`` describes the target; ``StreamChecker`` is the hook through which the
stream oracle judges ``stream: true`` examples. Modules: ``client`` (HTTP with deadlines and
evidence), ``checks`` (pure functions and their registry), ``lifecycle`` (the run state graph,
polling), ``scenarios`` (what one example does), ``setup`` (the suite's assistants), ``runner``.
"""

from conformance.engine.client import ClientConfig
from conformance.engine.runner import PROFILES, Interrupted, Profile, Progress, RunConfig, run_suite
from conformance.engine.scenarios import StreamChecker, Target
from conformance.engine.setup import SetupError

__all__ = ["PROFILES", "ClientConfig", "Interrupted", "Profile", "Progress", "RunConfig", "SetupError",
           "StreamChecker", "Target", "run_suite"]
