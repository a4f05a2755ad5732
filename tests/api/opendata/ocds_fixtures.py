"""The OCDS test fixtures, shared as a plugin by the modules that validate open data: the
standard's files (from ``../shared/ocds`` or MINHBACH_OCDS_DIR; the tests skip and say why
without them, except under REQUIRE_OCDS), a loopback server for the extensions (libcoveocds
fetches them over HTTP only), and ``validate``, the gate: the Open Contracting Partnership's
libcoveocds with zero validation errors, no wrong closed-codelist values, no invalid extension
and every additional field covered by the platform's documented extension."""

from __future__ import annotations

import http.server
import json
import os
import threading
from pathlib import Path

import jsonref
import pytest

ROOT = Path(__file__).resolve().parents[3]
OCDS_DIR = Path(os.environ.get("MINHBACH_OCDS_DIR", ROOT.parent / "shared" / "ocds"))
STANDARD_URL = "https://standard.open-contracting.org/schema/1__1__5/"


@pytest.fixture(scope="module")
def ocds_dir() -> Path:
    if not (OCDS_DIR / "standard-1__1__5.zip").exists():
        if os.environ.get("REQUIRE_OCDS"):
            pytest.fail(f"REQUIRE_OCDS is set but the OCDS standard is not in {OCDS_DIR}")
        pytest.skip(f"the OCDS 1.1.5 standard files are not in {OCDS_DIR} (MINHBACH_OCDS_DIR)")
    return OCDS_DIR


@pytest.fixture(scope="module")
def extension_server(ocds_dir):
    """A loopback server for the extensions: libcoveocds fetches them over HTTP only."""
    roots = {
        "lots": ocds_dir / "extensions" / "ocds_lots_extension-v1.1.5",
        "bid": ocds_dir / "extensions" / "ocds_bid_extension-v1.1.5",
        "minhbach": ROOT / "api" / "opendata" / "ocds_extension",
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            _, name, file = self.path.split("/", 2)
            path = roots.get(name, Path("/nonexistent")) / file
            if not path.is_file():
                self.send_error(404)
                return
            body = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def validate(ocds_dir, extension_server, monkeypatch, tmp_path):
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    class LocalStandard:
        """Stands in for ``requests`` inside jsonref: the standard's schema URLs are answered
        from the local files; anything else goes to the real network client."""

        def __init__(self, real):
            self.real = real

        def get(self, uri, *args, **kwargs):
            if not uri.startswith(STANDARD_URL):
                return self.real.get(uri, *args, **kwargs)
            body = json.loads((ocds_dir / "schema-1.1.5" / uri[len(STANDARD_URL) :]).read_text())

            class Response:
                def raise_for_status(self):
                    return None

                def json(self, **kw):
                    return body

            return Response()

    monkeypatch.setattr(jsonref, "requests", LocalStandard(jsonref.requests))

    def run(package: dict, *, record: bool = False) -> dict:
        package = json.loads(json.dumps(package))
        package["extensions"] = [
            f"{extension_server}/lots/extension.json"
            if "lots" in url
            else f"{extension_server}/bid/extension.json"
            if "ocds_bid_extension" in url
            else f"{extension_server}/minhbach/extension.json"
            for url in package["extensions"]
        ]
        config = LibCoveOCDSConfig()
        config.config["standard_zip"] = f"file://{ocds_dir / 'standard-1__1__5.zip'}"
        config.config["context"] = "api"
        result = ocds_json_output(
            str(tmp_path), json_data=package, lib_cove_ocds_config=config, record_pkg=record
        )
        assert result["validation_errors"] == [], result["validation_errors"]
        assert result["additional_closed_codelist_values"] == {}
        assert not result.get("invalid_extension"), result.get("invalid_extension")
        assert result["additional_fields"] == [], result["additional_fields"]
        return result

    return run
