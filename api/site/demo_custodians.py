"""Demo custodians for the embedded default: real custodian agents (procurement/crypto/
custodian.py), each with its own key folder under ``var/custodians/`` (outside the database),
talking to the platform's own API in-process. Their identities are marked as demo everywhere
they show. Never used in production: a real custodian runs the agent on its own machine.
"""

from __future__ import annotations

import io
import logging
import urllib.error
from email.message import Message
from pathlib import Path

from django.conf import settings
from django.test import Client
from knox.models import AuthToken

from procurement.crypto.custodian import Agent, AgentError
from procurement.keys import ledger_verifier_key
from procurement.models import CustodianIdentity, Organisation, User

log = logging.getLogger(__name__)

# (username, organisation) of the demo custodians that load_demo creates.
DEMO_CUSTODIANS = [
    ("custodian-agency", "so-gtvt-ha-noi"),
    ("custodian-audit", "kiem-toan-nha-nuoc"),
    ("custodian-civil", "giam-sat-cong-dong"),
]
PASSPHRASE = b"demo-only-passphrase"  # demo custodians only; shown as demo everywhere
GRACE_SECONDS = 2


class InProcessOpener:
    """Serves the agent's urllib requests with Django's test client: the same URLs, views,
    authentication and checks as over HTTP, without a socket."""

    def __init__(self) -> None:
        self.client = Client(HTTP_HOST="127.0.0.1")

    def __call__(self, request, timeout: float | None = None):
        path = request.full_url.split("://", 1)[1]
        path = path[path.index("/") :]
        headers = {
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in request.header_items()
            if name.lower() != "content-type"
        }
        method = request.get_method().lower()
        kwargs = {}
        if request.data is not None:
            kwargs = {"data": request.data, "content_type": "application/json"}
        response = getattr(self.client, method)(path, **kwargs, **headers)
        body = io.BytesIO(response.content)
        if response.status_code >= 400:
            raise urllib.error.HTTPError(
                request.full_url, response.status_code, "error", Message(), body
            )
        return _Response(body)


class _Response(io.BytesIO):
    def __init__(self, body: io.BytesIO) -> None:
        super().__init__(body.getvalue())

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def folder_of(username: str) -> Path:
    return Path(settings.DEMO_CUSTODIANS_DIR) / username


def _token_valid(user: User, token: str | None) -> bool:
    if not token:
        return False
    from knox.settings import CONSTANTS  # noqa: PLC0415

    return AuthToken.objects.filter(
        user=user, token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH]
    ).exists()


def ensure_agent(username: str, organisation_code: str) -> Agent:
    """The demo custodian's agent, set up on first use: key folder, API token, and its
    identity registered (through the same service as a real custodian's)."""
    from tenders.services import custody  # noqa: PLC0415 - tenders depends on the kernel, not back

    user = User.objects.get(username=username)
    organisation = Organisation.objects.get(code=organisation_code)
    folder = folder_of(username)
    if not (folder / "identity.key").exists():
        _, token = AuthToken.objects.create(user)
        Agent.init(
            folder,
            url="http://127.0.0.1:8000",
            token=token,
            log_key=ledger_verifier_key(),
            passphrase=PASSPHRASE,
            demo=True,
        )
        (folder / "DEMO-ONLY.txt").write_text(
            "Demo custodian key folder. Its passphrase is public (api/site/demo_custodians.py)."
            "\nNever use a demo custodian for a real tender.\n"
        )
    agent = Agent(folder, PASSPHRASE, opener=InProcessOpener())
    changed = False
    if not _token_valid(user, agent.config.get("token")):
        _, agent.config["token"] = AuthToken.objects.create(user)
        changed = True
    if agent.config.get("log_key") != ledger_verifier_key():
        agent.config["log_key"] = ledger_verifier_key()
        (folder / "witness.json").unlink(missing_ok=True)
        changed = True
    agent.config["grace_seconds"] = GRACE_SECONDS
    public = agent.identity_public()
    identity = CustodianIdentity.objects.filter(
        public_key=public, user=user, revoked_at__isnull=True
    ).first()
    if identity is None:
        identity = custody.register_identity(
            organisation, actor=user, public_key=public, is_demo=True
        )
    if agent.config.get("custodian") != identity.code:
        agent.config["custodian"] = identity.code
        changed = True
    if changed:
        agent.save_config()
    return agent


def agents() -> list[Agent]:
    return [ensure_agent(username, code) for username, code in DEMO_CUSTODIANS]


def run_round() -> list[str]:
    """One round of every demo custodian's agent (statements, releases)."""
    lines = []
    for agent in agents():
        try:
            lines.extend(f"{agent.config['custodian']}: {line}" for line in agent.step())
        except AgentError as exc:
            lines.append(f"{agent.config.get('custodian')}: {exc}")
    for line in lines:
        log.info("demo custodian %s", line)
    return lines
