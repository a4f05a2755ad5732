"""The published EPB1 vectors (docs/envelope-vectors.json), checked from the file alone the way
a third implementation would use them: every intermediate value recomputed, and every negative
vector refused with its reason code by the Python validator, the browser's (Node) and the
command-line sealer. Pure: no database."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pyshamir
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from procurement.crypto import envelope, keystatement, sealer
from procurement.crypto.canonical import canonical_json
from procurement.crypto.envelope import EnvelopeError
from tests.procurement import envelope_vectors

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "docs" / "envelope-vectors.json"
VECTOR = json.loads(VECTORS.read_text(encoding="utf-8"))
POLICY = {name: VECTOR[name] for name in ("tender", "keyset", "k", "n", "bidder")}
NEGATIVE = {case["name"]: case for case in VECTOR["negative"]}
REASONS = {
    "magic", "truncated", "core_length", "core_json", "version", "core_fields", "suite", "field",
    "limit", "core_canonical", "shares_length", "shares_json", "shares_count", "shares_encoding",
    "shares_size", "shares_canonical", "policy", "length",
}  # fmt: skip


def blob() -> bytes:
    return base64.b64decode(VECTOR["envelope"])


def tender_key(index: int) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(
        bytes.fromhex(VECTOR["custodian_private_raw"][str(index)])
    )


def test_the_file_is_what_the_builder_makes():
    """Everything deterministic in the file is rebuilt byte for byte (HPKE and the Shamir
    split are randomised, so the sealed shares and the envelope bytes are not compared)."""
    built = envelope_vectors.build()
    for name in ("statements", "keyset", "keyset_document", "identities_file", "dek_commit",
                 "core", "h", "share_info", "price_key", "docs_key", "price", "price_ct",
                 "docs_sha256", "price_sha256"):  # fmt: skip
        assert built[name] == VECTOR[name], name
    for name in ("statement", "signature", "wrap_info", "opening_public_key"):
        assert built["release"][name] == VECTOR["release"][name], name
    assert [(c["name"], c["reason"]) for c in built["negative"]] == [
        (c["name"], c["reason"]) for c in VECTOR["negative"]
    ]


def test_every_intermediate_value_follows_from_the_inputs():
    identities = {
        code: Ed25519PrivateKey.from_private_bytes(bytes.fromhex(item["private_seed"]))
        for code, item in VECTOR["identity_keys"].items()
    }
    pinned = {code: key.public_key() for code, key in identities.items()}
    # Key set: each statement verifies, and the hash is SHA-256 of the canonical list.
    keyset = keystatement.verify_keyset(
        VECTOR["statements"], identities=pinned, tender=VECTOR["tender"],
        deadline=VECTOR["deadline"], n=VECTOR["n"],
    )  # fmt: skip
    assert keyset.keyset_hash == VECTOR["keyset"]
    assert hashlib.sha256(canonical_json(VECTOR["statements"])).hexdigest() == VECTOR["keyset"]
    assert VECTOR["keyset_document"]["keyset_hash"] == VECTOR["keyset"]
    # Core, h and the DEK commitment.
    dek = bytes.fromhex(VECTOR["dek"])
    core = json.loads(VECTOR["core"])
    assert canonical_json(core).decode() == VECTOR["core"]
    assert core["keyset"] == VECTOR["keyset"] and core["bid"] == VECTOR["bid"]
    h = hashlib.sha256(VECTOR["core"].encode()).digest()
    assert h.hex() == VECTOR["h"]
    assert hashlib.sha256(b"EPB1/dek-commit" + dek).hexdigest() == VECTOR["dek_commit"]
    assert core["dek_commit"] == VECTOR["dek_commit"]
    # Shares: every sealed share opens to the listed share; any k of them give the DEK.
    suite = envelope.SUITES[envelope.SUITE_X25519]
    shares = [bytes.fromhex(s) for s in VECTOR["shares"]]
    for index, sealed in enumerate(VECTOR["sealed_shares"], start=1):
        info = bytes.fromhex(VECTOR["share_info"][index - 1])
        assert info == b"EPB1/share" + h + bytes([index])
        opened = suite.decrypt(base64.b64decode(sealed), tender_key(index), info=info)
        assert opened == shares[index - 1] and len(opened) == 33
    for subset in combinations(shares, VECTOR["k"]):
        assert bytes(pyshamir.combine([bytearray(s) for s in subset])) == dek
    # Part keys, and the public check of the price.
    for label in ("price", "docs"):
        key = HKDF(hashes.SHA256(), 32, salt=h, info=b"EPB1/" + label.encode()).derive(dek)
        assert key.hex() == VECTOR[f"{label}_key"]
    price = envelope.decrypt_price(
        bytes.fromhex(VECTOR["price_key"]), h, base64.b64decode(VECTOR["price_ct"]),
        core["price_len"], core["chunk"],
    )  # fmt: skip
    assert price == VECTOR["price"].encode()
    assert hashlib.sha256(price).hexdigest() == VECTOR["price_sha256"]
    # The whole envelope opens, with any k custodians.
    assert hashlib.sha256(blob()).hexdigest() == VECTOR["envelope_sha256"]
    for subset in combinations((1, 2, 3), VECTOR["k"]):
        docs = io.BytesIO()
        opened = envelope.open_envelope(
            io.BytesIO(blob()), {i: tender_key(i) for i in subset}, docs
        )
        assert opened.price == price and opened.dek == dek
        assert hashlib.sha256(docs.getvalue()).hexdigest() == VECTOR["docs_sha256"]
    # The release: signed by custodian 1, and the wrapped key is its tender key.
    release = VECTOR["release"]
    opening = X25519PrivateKey.from_private_bytes(bytes.fromhex(release["opening_private_raw"]))
    code = json.loads(release["statement"])["custodian"]
    key = keystatement.verify_release(
        release, identity=pinned[code], tender=VECTOR["tender"], custodian=code, index=1,
        pk=json.loads(VECTOR["statements"][0]["statement"])["pk"],
        closing_seq=release["closing_seq"], opening_private_key=opening,
    )  # fmt: skip
    assert key.private_bytes_raw() == tender_key(1).private_bytes_raw()


def test_the_price_sheet_is_valid_by_the_openings_rule():
    from procurement.crypto.pricesheet import PRICE_RE  # the opening's own rule

    assert sealer.PRICE_RE.pattern == PRICE_RE.pattern
    assert sealer.check_price_sheet(VECTOR["price"].encode(), currency="VND") == 41500000000
    for line in json.loads(VECTOR["price"])["lots"]:
        assert PRICE_RE.match(line["price"])


def test_the_valid_envelope_passes_every_check():
    header = envelope.validate_at_submission(io.BytesIO(blob()), size=len(blob()), **POLICY)
    assert header.core_bytes.decode() == VECTOR["core"]


def test_the_negative_vectors_cover_every_reason_code():
    assert {case["reason"] for case in VECTOR["negative"]} == REASONS


@pytest.mark.parametrize("name", list(NEGATIVE))
def test_python_refuses_each_negative_vector_with_its_reason(name):
    data = base64.b64decode(NEGATIVE[name]["envelope"])
    with pytest.raises(EnvelopeError) as exc:
        envelope.validate_at_submission(io.BytesIO(data), size=len(data), **POLICY)
    assert exc.value.reason == NEGATIVE[name]["reason"], str(exc.value)


def test_version_messages_say_what_is_wrong():
    for name, shown in (("v is true", "true"), ("v is 1.0", "1.0")):
        data = base64.b64decode(NEGATIVE[name]["envelope"])
        with pytest.raises(EnvelopeError, match=rf"v must be the integer 1, not {shown}$"):
            envelope.read_header(io.BytesIO(data))


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("node is required for the JavaScript envelope tests")
        pytest.skip("node is not installed")
    return node


def test_javascript_refuses_each_negative_vector_with_its_reason():
    result = subprocess.run(
        [_node(), str(ROOT / "tests" / "js" / "epb1_validate.mjs"), str(VECTORS)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    answer = json.loads(result.stdout)
    assert answer["negative"] == {name: case["reason"] for name, case in NEGATIVE.items()}
    assert answer["valid"]["h"] == VECTOR["h"]
    assert answer["valid"]["total"] == len(blob())
    assert answer["price_key"] == VECTOR["price_key"]
    assert answer["docs_key"] == VECTOR["docs_key"]
    assert answer["keyset_public_keys"] == [
        json.loads(s["statement"])["pk"] for s in VECTOR["statements"]
    ]


@pytest.fixture
def supplier_files(tmp_path):
    """What a supplier has: the key-set document from the tender page, identity keys pinned
    elsewhere, a price sheet and the documents."""
    (tmp_path / "keyset.json").write_text(json.dumps(VECTOR["keyset_document"]))
    (tmp_path / "identities.json").write_text(json.dumps(VECTOR["identities_file"]))
    (tmp_path / "price.json").write_text(VECTOR["price"])
    (tmp_path / "ho-so.zip").write_bytes(base64.b64decode(VECTOR["docs"]))
    return tmp_path


def cli(folder: Path, *arguments: str) -> list[str]:
    return [
        "--keyset", str(folder / "keyset.json"), "--identities", str(folder / "identities.json"),
        "--bidder", VECTOR["bidder"], *arguments,
    ]  # fmt: skip


def test_the_cli_refuses_each_negative_vector_with_its_reason(supplier_files, capsys):
    for name, case in NEGATIVE.items():
        path = supplier_files / "bid.epb1"
        path.write_bytes(base64.b64decode(case["envelope"]))
        assert sealer.main(cli(supplier_files, "--check", str(path))) == 1, name
        assert capsys.readouterr().err.startswith(f"refused ({case['reason']}): "), name
    path.write_bytes(blob())
    assert sealer.main(cli(supplier_files, "--check", str(path))) == 0
    assert f"h={VECTOR['h']}" in capsys.readouterr().out


def test_from_the_tender_pages_key_set_document_to_an_accepted_envelope(supplier_files):
    """The document the tender page links to, after an amendment moved the submission
    deadline: the CLI takes tender, the statements' deadline and k from it, with no Django."""
    document = VECTOR["keyset_document"]
    assert document["submission_deadline"] != document["deadline"]
    command = [
        sys.executable, "-c",
        "import sys; from procurement.crypto.sealer import main; code = main(sys.argv[1:]); "
        "assert not [m for m in sys.modules if m.startswith('django')]; sys.exit(code)",
        *cli(supplier_files, "--price", "price.json", "--docs", "ho-so.zip", "--out", "bid.epb1"),
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=supplier_files, capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = (supplier_files / "bid.epb1").read_bytes()
    header = envelope.validate_at_submission(io.BytesIO(data), size=len(data), **POLICY)
    assert f"bid={header.core['bid']}" in result.stdout
    assert envelope.BID_RE.fullmatch(header.core["bid"])
    opened = envelope.open_envelope(
        io.BytesIO(data), {2: tender_key(2), 3: tender_key(3)}, io.BytesIO()
    )
    assert opened.price == VECTOR["price"].encode()


def test_the_cli_explains_what_it_refuses(supplier_files, capsys, monkeypatch):
    seal = ("--price", "price.json", "--docs", "ho-so.zip", "--out", "bid.epb1")
    monkeypatch.chdir(supplier_files)
    amended = VECTOR["keyset_document"]["submission_deadline"]
    assert sealer.main(cli(supplier_files, "--deadline", amended, *seal)) == 1
    assert "an amendment that moves the submission deadline does not change it" in (
        capsys.readouterr().err
    )
    assert sealer.main(cli(supplier_files, "--bid", "b-0001", *seal)) == 1
    assert "not sealed (field): bid must be a UUID" in capsys.readouterr().err
    assert not (supplier_files / "bid.epb1").exists()
    (supplier_files / "price.json").write_text('{"currency":"VND","lots":[{"lot":1,"price":5}]}')
    assert sealer.main(cli(supplier_files, *seal)) == 1
    assert "lot 1: the price must be a positive decimal string" in capsys.readouterr().err
    document = dict(VECTOR["keyset_document"])
    document["roster"] = [
        dict(document["roster"][0], identity_key=VECTOR["identities_file"]["so-gtvt-ha-noi"]),
        *document["roster"][1:],
    ]
    (supplier_files / "keyset.json").write_text(json.dumps(document))
    assert sealer.main(cli(supplier_files, *seal)) == 1
    assert "another identity key for kiem-toan-nha-nuoc" in capsys.readouterr().err


def test_the_cli_help_is_whole():
    text = sealer._parser().format_help()
    assert "From the tender page to a submitted bid" in text
    assert text.rstrip().endswith("sealing")
    assert "in exactly\nthe format the browser produces" in text  # not cut mid-sentence
    assert sealer.__doc__.strip().splitlines()[-1].strip() in text


def test_python_and_javascript_write_the_same_canonical_json():
    value = {
        "b": ["é", "\n\t\b\f\r", '"\\/', "\u0001\u001f\u007f", "\u2028", "😀", "Vi\u1ec7t"],
        "a": [0, -2, 2**53 - 1, True, False, None, {}, []],
        "Z": {"ñ": "x", "n": "y"},
    }
    script = (
        "import('./procurement/static/js/epb1.js').then(m => process.stdout.write("
        "m.canonical(JSON.parse(process.argv[1]))))"
    )
    result = subprocess.run(
        [_node(), "-e", script, json.dumps(value)],
        cwd=ROOT, capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    assert result.stdout == canonical_json(value)
    assert b"\\u" in canonical_json(value)  # control characters only
    assert '"😀"'.encode() in canonical_json(value)  # raw UTF-8, not escaped
