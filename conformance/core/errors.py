"""The suite's own exceptions: one family, so a caller tells the suite's conditions from bugs.

Each message is one line a user can read. None of them is a finding about the target: a target's
misbehaviour is always a finding, and anything raised that is not a ``SuiteError`` is a bug of
the suite (reported as an internal error, exit 3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.core.results import SuiteResult


class SuiteError(Exception):
    """Base of the suite's own exceptions."""


class SetupError(SuiteError):
    """The run cannot be carried out (target unreachable, assistants not created or not found)."""


class ReportError(SuiteError):
    """A saved report that cannot be read back."""


class BudgetExhausted(SuiteError):
    """No more requests may be sent: max_requests or max_time reached, or the run was stopped."""


class RateLimited(SuiteError):
    """The target kept answering 429 after the retries; the work item is abandoned, not judged."""


class TargetUnreachable(SuiteError):
    """No connection to the target could be made: the run stops, nothing more is judged."""


class Interrupted(SuiteError):
    """The run was interrupted (Ctrl-C); ``result`` is the partial result gathered so far."""

    def __init__(self, result: SuiteResult) -> None:
        super().__init__("interrupted")
        self.result = result
