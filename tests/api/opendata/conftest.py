"""The award and contract releases reuse the evaluation tests' committee and approver."""

from tests.evaluation.conftest import _media, approver, members, reviewer  # noqa: F401
