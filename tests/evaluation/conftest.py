"""Shared people of the evaluation tests, and uploaded files kept out of the project's var/."""

from __future__ import annotations

import pytest

from procurement.models import OrganisationKind, Role


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def members(make_user, agency):
    """Two evaluators of the agency (appointed by the tests that need them)."""
    return [
        make_user((Role.EVALUATOR, agency), email=f"evaluator{i}@example.gov.vn") for i in (1, 2)
    ]


@pytest.fixture
def approver(make_user, agency):
    return make_user((Role.APPROVER, agency))


@pytest.fixture
def reviewer(make_user, make_org):
    return make_user((Role.REVIEWER, make_org(OrganisationKind.OVERSIGHT)))
