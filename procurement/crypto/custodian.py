"""The custodian agent: runs on a custodian's own machine, keeps its keys in its own folder, and
talks to the platform's API. Needs Python 3.11 and ``cryptography``; no Django.

    python -m procurement.crypto.custodian init --dir ~/khoa --url https://… --token …
    python -m procurement.crypto.custodian register --dir ~/khoa --organisation kiem-toan
    python -m procurement.crypto.custodian run --dir ~/khoa            # every 30 s
    python -m procurement.crypto.custodian run --dir ~/khoa --once

What it does, each round:

* For every draft tender whose roster names it: makes a per-tender X25519 key pair, stores the
  private key encrypted in its folder (first), and sends the public key in a statement signed
  with its Ed25519 identity key.
* For every closed tender: releases the per-tender key only when (a) **its own clock** is past
  the deadline plus a grace period, and (b) the tender's closing entry verifies against a
  checkpoint signed by the pinned log key, consistent with every checkpoint it has seen
  before. The key is wrapped (HPKE) to the opening key published in that closing entry.

Keys at rest are encrypted with AES-256-GCM under a key derived with scrypt from the
passphrase (``MINHBACH_CUSTODIAN_PASSPHRASE`` or ``--passphrase-file``).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from procurement.crypto import entrykinds, keystatement, rfc9162, signednote

DEFAULT_GRACE = 120
SCRYPT = {"n": 2**15, "r": 8, "p": 1}


class AgentError(RuntimeError):
    """Something the agent refuses to do, or cannot do now; the message says which."""


# --- Keys at rest ---------------------------------------------------------------------------


def _kek(passphrase: bytes, salt: bytes, params: dict) -> bytes:
    return Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"]).derive(
        passphrase
    )


def seal_secret(secret: bytes, passphrase: bytes, params: dict | None = None) -> dict:
    params = params or SCRYPT
    salt, nonce = os.urandom(16), os.urandom(12)
    ct = AESGCM(_kek(passphrase, salt, params)).encrypt(nonce, secret, b"minhbach-custodian")
    b64 = base64.b64encode
    return {"kdf": "scrypt", **params, "salt": b64(salt).decode(), "nonce": b64(nonce).decode(),
            "ct": b64(ct).decode()}  # fmt: skip


def open_secret(blob: dict, passphrase: bytes) -> bytes:
    b64d = base64.b64decode
    try:
        key = _kek(passphrase, b64d(blob["salt"]), blob)
        return AESGCM(key).decrypt(b64d(blob["nonce"]), b64d(blob["ct"]), b"minhbach-custodian")
    except InvalidTag:
        raise AgentError("wrong passphrase, or the key file was altered") from None


def _write_private(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


# --- The agent ------------------------------------------------------------------------------


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Agent:
    def __init__(self, folder: Path, passphrase: bytes, *, clock=utc_now, opener=None) -> None:
        self.folder = Path(folder)
        self.passphrase = passphrase
        self.clock = clock
        self.config = json.loads((self.folder / "agent.json").read_text())
        self.opener = opener or urllib.request.urlopen
        self.log: list[str] = []

    # Configuration and keys

    @classmethod
    def init(
        cls, folder: Path, *, url: str, token: str, log_key: str, passphrase: bytes, **extra
    ) -> Ed25519PrivateKey:
        folder = Path(folder)
        if (folder / "identity.key").exists():
            raise AgentError(f"{folder} already holds an identity key")
        signednote.parse_verifier_key(log_key)  # refuse a malformed pin early
        identity = Ed25519PrivateKey.generate()
        _write_private(
            folder / "identity.key", seal_secret(identity.private_bytes_raw(), passphrase)
        )
        config = {"url": url.rstrip("/"), "token": token, "log_key": log_key,
                  "grace_seconds": DEFAULT_GRACE, "custodian": None, **extra}  # fmt: skip
        _write_private(folder / "agent.json", config)
        return identity

    def save_config(self) -> None:
        _write_private(self.folder / "agent.json", self.config)

    def identity(self) -> Ed25519PrivateKey:
        blob = json.loads((self.folder / "identity.key").read_text())
        return Ed25519PrivateKey.from_private_bytes(open_secret(blob, self.passphrase))

    def identity_public(self) -> str:
        return base64.b64encode(self.identity().public_key().public_bytes_raw()).decode()

    def _tender_file(self, reference: str) -> Path:
        safe = "".join(c for c in reference if c.isalnum() or c in "-_")
        return self.folder / "tenders" / f"{safe}.json"

    def tender_key(self, reference: str) -> tuple[dict, X25519PrivateKey] | None:
        path = self._tender_file(reference)
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        raw = open_secret(data["key"], self.passphrase)
        return data, X25519PrivateKey.from_private_bytes(raw)

    # HTTP

    def api(self, method: str, path: str, body: dict | None = None) -> Any:  # decoded JSON
        url = f"{self.config['url']}/api/v1/{path}"
        if not url.startswith(("http://", "https://")):
            raise AgentError(f"not an http(s) URL: {url}")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("Accept", "application/json")
        request.add_header("Accept-Language", "en")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.config.get("token"):
            request.add_header("Authorization", f"Token {self.config['token']}")
        try:
            with self.opener(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                detail = json.load(exc).get("error", {}).get("message", "")
            except (ValueError, AttributeError):
                detail = ""
            raise AgentError(f"{method} {path}: HTTP {exc.code} {detail}".strip()) from None
        except (urllib.error.URLError, TimeoutError) as exc:
            raise AgentError(f"{method} {path}: {exc}") from None

    def register(self, organisation: str) -> str:
        answer = self.api(
            "POST",
            "custodians/",
            {"organisation": organisation, "public_key": self.identity_public()},
        )
        self.config["custodian"] = answer["code"]
        self.save_config()
        return answer["code"]

    # One round

    def step(self) -> list[str]:
        self.log = []
        for seat in self.api("GET", "custody/seats/"):
            try:
                if seat["tender_status"] == "draft":
                    self.give_statement(seat)
                elif seat["closing_seq"] is not None and not seat["released_at"]:
                    self.release(seat)
            except AgentError as exc:
                self.log.append(f"{seat['tender']}: {exc}")
        return self.log

    def give_statement(self, seat: dict) -> None:
        reference, deadline, index = seat["tender"], seat["deadline"], seat["index"]
        held = self.tender_key(reference)
        if held and (held[0]["deadline"], held[0]["index"]) == (deadline, index):
            data, private = held
            if seat["statement_given"] and seat["public_key"] == data["pk"]:
                return  # already given, nothing to do
        else:
            private = X25519PrivateKey.generate()
            data = {"tender": reference, "deadline": deadline, "index": index,
                    "pk": keystatement.public_key_b64(private.public_key()),
                    "key": seal_secret(private.private_bytes_raw(), self.passphrase)}  # fmt: skip
            _write_private(self._tender_file(reference), data)  # the key is safe before it is used
        signed = keystatement.make_statement(
            tender=reference,
            deadline=deadline,
            custodian=seat["custodian"],
            index=index,
            public_key=private.public_key(),
            identity=self.identity(),
        )
        self.api("POST", f"tenders/{reference}/key-statements/", signed)
        self.log.append(f"{reference}: key statement given (place {index})")

    # Release

    def verified_checkpoint(self, note: str) -> signednote.Checkpoint:
        """Open a checkpoint with the pinned key and check it extends every one seen before."""
        verifier = signednote.parse_verifier_key(self.config["log_key"])
        checkpoint = signednote.open_checkpoint(note, verifier)
        state_path = self.folder / "witness.json"
        state = json.loads(state_path.read_text()) if state_path.exists() else None
        if state is not None:
            old_root = base64.b64decode(state["root"])
            if checkpoint.size < state["size"]:
                raise AgentError(
                    f"the log shrank from {state['size']} to {checkpoint.size} entries"
                )
            proof = []
            if checkpoint.size > state["size"]:
                answer = self.api(
                    "GET",
                    f"ledger/proof/consistency/?first={state['size']}&second={checkpoint.size}",
                )
                proof = [base64.b64decode(p) for p in answer["path"]]
            try:
                rfc9162.verify_consistency(
                    state["size"], checkpoint.size, old_root, checkpoint.root, proof
                )
            except rfc9162.ProofError as exc:
                raise AgentError(
                    f"the log is not consistent with what it showed before: {exc}"
                ) from None
        if state is None or checkpoint.size > state["size"]:
            root = base64.b64encode(checkpoint.root).decode()
            _write_private(state_path, {"size": checkpoint.size, "root": root})
        return checkpoint

    def release(self, seat: dict) -> None:
        reference = seat["tender"]
        grace = dt.timedelta(seconds=self.config.get("grace_seconds", DEFAULT_GRACE))
        now = self.clock()
        held = self.tender_key(reference)
        if held is None:
            raise AgentError("no key for this tender in this folder")
        data, private = held
        statement_deadline = parse_time(data["deadline"])
        if now < statement_deadline + grace:
            self.log.append(f"{reference}: waiting, my clock says the deadline has not passed")
            return
        proof = self.api("GET", f"ledger/entries/{seat['closing_seq']}/proof/")
        checkpoint = self.verified_checkpoint(proof["checkpoint"])
        raw = proof["entry"].encode("utf-8")
        path = [base64.b64decode(p) for p in proof["inclusion_proof"]]
        try:
            rfc9162.verify_inclusion(
                seat["closing_seq"], checkpoint.size, rfc9162.leaf_hash(raw), path, checkpoint.root
            )
        except rfc9162.ProofError as exc:
            raise AgentError(f"the closing entry is not in the signed log: {exc}") from None
        entry = json.loads(raw)
        payload = entry.get("payload", {})
        if (
            entry.get("kind") != entrykinds.TENDER_CLOSED
            or entry.get("subject") != f"tender:{reference}"
        ):
            raise AgentError("the entry given as the closing is not this tender's closing")
        deadline = parse_time(payload["submission_deadline"])
        if deadline < statement_deadline:
            raise AgentError("the tender closed before the deadline my key was made for")
        if now < deadline + grace:
            self.log.append(f"{reference}: waiting, my clock says the deadline has not passed")
            return
        opening = X25519PublicKey.from_public_bytes(base64.b64decode(payload["opening_public_key"]))
        signed = keystatement.make_release(
            tender=reference,
            custodian=seat["custodian"],
            index=seat["index"],
            private_key=private,
            closing_seq=seat["closing_seq"],
            opening_public_key=opening,
            identity=self.identity(),
        )
        self.api("POST", f"tenders/{reference}/key-releases/", signed)
        self.log.append(f"{reference}: key released ({payload.get('bid_count', 0)} bids closed)")


# --- Command line ---------------------------------------------------------------------------


def _passphrase(args) -> bytes:
    if args.passphrase_file:
        return Path(args.passphrase_file).read_bytes().strip()
    value = os.environ.get("MINHBACH_CUSTODIAN_PASSPHRASE")
    if not value:
        raise AgentError("set MINHBACH_CUSTODIAN_PASSPHRASE or pass --passphrase-file")
    return value.encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minhbach-custodian", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("init", "register", "run", "show"):
        sub = commands.add_parser(name)
        sub.add_argument("--dir", type=Path, required=True, help="this custodian's key folder")
        sub.add_argument("--passphrase-file", help="file holding the passphrase for the keys")
        if name == "init":
            sub.add_argument("--url", required=True, help="the platform, e.g. https://…")
            sub.add_argument("--token", required=True, help="your API token")
            sub.add_argument("--log-key", required=True, help="the ledger's verifier key, pinned")
        if name == "register":
            sub.add_argument("--organisation", required=True)
        if name == "run":
            sub.add_argument("--once", action="store_true")
            sub.add_argument("--interval", type=float, default=30.0)
    args = parser.parse_args(argv)
    try:
        passphrase = _passphrase(args)
        if args.command == "init":
            key = Agent.init(args.dir, url=args.url, token=args.token, log_key=args.log_key,
                             passphrase=passphrase)  # fmt: skip
            print("identity key:", base64.b64encode(key.public_key().public_bytes_raw()).decode())
            return 0
        agent = Agent(args.dir, passphrase)
        if args.command == "register":
            print("registered as", agent.register(args.organisation))
        elif args.command == "show":
            print(json.dumps({"custodian": agent.config.get("custodian"),
                              "identity_key": agent.identity_public()}, indent=2))  # fmt: skip
        else:
            while True:
                for line in agent.step():
                    print(line, flush=True)
                if args.once:
                    break
                time.sleep(args.interval)
    except AgentError as exc:
        print(f"custodian agent: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
