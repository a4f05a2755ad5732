"""The standalone custodian agent against the real API (served in-process): key statements
from its own folder, and a release only after its own clock and a verified closing."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.urls import reverse
from knox.models import AuthToken

from api.site.demo_custodians import InProcessOpener
from evaluation.services import closing, opening, release
from procurement.clock import db_now
from procurement.crypto.custodian import Agent, AgentError, main
from procurement.keys import ledger_verifier_key
from procurement.models import LedgerEntry, Role
from tenders import services as tender_services
from tenders.services import custody
from tests.tenders.fixtures import LOTS, tender_fields

pytestmark = pytest.mark.django_db
PASS = b"correct horse battery staple"


@pytest.fixture
def agent_user(make_user, make_org):
    from procurement.models import OrganisationKind

    return make_user((Role.CUSTODIAN, make_org(OrganisationKind.OVERSIGHT, code="thanh-tra")))


def make_agent(tmp_path, user, clock=None) -> Agent:
    _, token = AuthToken.objects.create(user)
    folder = tmp_path / "agent"
    Agent.init(folder, url="http://127.0.0.1:8000", token=token, log_key=ledger_verifier_key(),
               passphrase=PASS)  # fmt: skip
    agent = Agent(folder, PASS, opener=InProcessOpener())
    if clock is not None:
        agent.clock = clock
    agent.config["grace_seconds"] = 1
    agent.register("thanh-tra")
    return agent


def drill_tender(agency, officer, drill, custodians, agent, seconds=2.0):
    deadline = db_now() + dt.timedelta(seconds=seconds)
    tender = tender_services.create_tender(
        agency,
        actor=officer,
        regime=drill,
        lots=LOTS,
        **tender_fields(submission_deadline=deadline, opening_time=deadline),
    )
    codes = [custodians[0].identity.code, agent.config["custodian"], custodians[1].identity.code]
    custody.set_roster(tender, actor=officer, custodians=codes, threshold=2)
    custodians[0].give_statement(tender)
    custodians[1].give_statement(tender)
    return tender


def test_agent_states_then_releases_only_after_its_own_clock_and_a_verified_closing(
    tmp_path, agent_user, agency, officer, drill, custodians
):
    agent = make_agent(tmp_path, agent_user)
    tender = drill_tender(agency, officer, drill, custodians, agent)
    assert agent.step() == [f"{tender.reference}: key statement given (place 2)"]
    assert agent.step() == []  # idempotent
    tender = tender_services.publish_tender(tender, actor=officer)
    # The private key is only in the agent's folder, and encrypted there.
    key_file = json.loads((tmp_path / "agent" / "tenders" / f"{tender.reference}.json").read_text())
    private = agent.tender_key(tender.reference)[1].private_bytes_raw()
    for path in (tmp_path / "agent").rglob("*"):
        if path.is_file():
            assert private not in path.read_bytes()
    assert key_file["pk"] == tender.roster.get(index=2).public_key

    time.sleep(2.1)
    assert closing.close_tender(tender)
    tender.refresh_from_db()
    # Its own clock says the deadline has not passed: it waits, whatever the platform says.
    agent.clock = lambda: tender.submission_deadline - dt.timedelta(seconds=30)
    assert "waiting" in agent.step()[0]
    agent.clock = lambda: tender.submission_deadline + dt.timedelta(seconds=5)
    assert "key released" in agent.step()[0]
    assert tender.roster.get(index=2).released_at is not None
    # The second key comes from a test custodian.
    response_ok = release.release_key(
        tender, actor=custodians[0].user, signed=custodians[0].release(tender)
    )
    assert response_ok.released_at
    assert opening.open_tender(tender)
    assert LedgerEntry.objects.filter(kind="TENDER_OPENED").exists()


def test_agent_refuses_a_closing_earlier_than_its_key_was_made_for(
    tmp_path, agent_user, agency, officer, drill, custodians
):
    agent = make_agent(tmp_path, agent_user)
    tender = drill_tender(agency, officer, drill, custodians, agent, seconds=3600)
    agent.step()
    tender = tender_services.publish_tender(tender, actor=officer)
    # A platform that fakes time: moves the deadline back and closes at once.
    from tenders.models import Tender

    Tender.objects.filter(pk=tender.pk).update(submission_deadline=db_now(), opening_time=db_now())
    assert closing.close_tender(tender)
    agent.clock = lambda: dt.datetime.now(dt.UTC)
    assert "waiting" in agent.step()[0]
    agent.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    assert "closed before the deadline my key was made for" in agent.step()[0]
    assert tender.roster.get(index=2).released_at is None


def test_agent_catches_a_log_that_rewrote_its_history(
    tmp_path, agent_user, agency, officer, drill, custodians
):
    agent = make_agent(tmp_path, agent_user)
    tender = drill_tender(agency, officer, drill, custodians, agent)
    agent.step()
    tender = tender_services.publish_tender(tender, actor=officer)
    # The agent remembers a checkpoint that the log (as served now) does not extend.
    state = {"size": 3, "root": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
    (tmp_path / "agent" / "witness.json").write_text(json.dumps(state))
    time.sleep(2.1)
    closing.close_tender(tender)
    agent.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    assert "not consistent" in agent.step()[0]
    assert tender.roster.get(index=2).released_at is None


def test_agent_keys_need_the_passphrase(tmp_path, agent_user):
    agent = make_agent(tmp_path, agent_user)
    with pytest.raises(AgentError, match="passphrase"):
        Agent(agent.folder, b"wrong", opener=InProcessOpener()).identity()


def test_agent_command_line_show(tmp_path, agent_user, capsys, monkeypatch):
    agent = make_agent(tmp_path, agent_user)
    monkeypatch.setenv("MINHBACH_CUSTODIAN_PASSPHRASE", PASS.decode())
    assert main(["show", "--dir", str(agent.folder)]) == 0
    assert agent.config["custodian"] in capsys.readouterr().out
    monkeypatch.setenv("MINHBACH_CUSTODIAN_PASSPHRASE", "wrong")
    assert main(["show", "--dir", str(agent.folder)]) == 1


def test_public_list_of_custodians(api, agent_user, tmp_path):
    agent = make_agent(tmp_path, agent_user)
    listed = api.get(reverse("api:custodians")).json()
    assert agent.config["custodian"] in [c["code"] for c in listed]
