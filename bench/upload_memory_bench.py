"""Memory of a large bid upload: how much a server worker's resident memory grows while it
receives, checks and stores one 50 MiB sealed envelope, beside the piece size it reads the
body in (bidders/services/submission.py READ_PIECE).

    .venv/bin/python bench/upload_memory_bench.py [--mb 50] [--threads 1]

Needs PostgreSQL (DATABASE_URL's server, else 127.0.0.1:5432 as postgres); works in its own
database ``minhbach_upload``, recreated each run. The production serving stack: gunicorn, one
worker (``--threads`` request threads). A first envelope of the same size warms the worker
up (imports, connections, the allocator's first arenas); then the worker's peak resident
memory is reset (Linux ``clear_refs``), a second envelope is streamed to it from a file over
plain HTTP, and the peak (VmHWM) is read again. Printed: resident memory before, the peak
during the upload, the growth, and the growth as a multiple of the piece size (the goal:
under 4x).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import surge_bench  # noqa: E402

surge_bench.DB_NAME = "minhbach_upload"


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    sys.exit("gunicorn started no worker")


def post(port: int, path: str, token: str, name: Path) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    with name.open("rb") as body:  # streamed from the file in blocks by http.client
        connection.request("POST", path, body=body, headers={
            "Authorization": f"Token {token}", "Content-Type": "application/octet-stream",
            "Content-Length": str(name.stat().st_size)})  # fmt: skip
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    url = surge_bench.database_url()
    surge_bench.recreate_database(url)
    var = ROOT / "var" / "upload"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "api.site.settings",
           "DEMO_CUSTODIANS": "0", "MINHBACH_VAR_DIR": str(var)}  # fmt: skip
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    import django

    django.setup()
    from bidders.sealing import seal_for
    from bidders.services.submission import READ_PIECE

    setup = surge_bench.Setup(2)
    tender = setup.tender(600)
    folder = var / "envelopes"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    price = b'{"currency": "VND", "lots": [{"lot": 1, "price": "1000000000"}]}'
    small, large = folder / "first.epb1", folder / "second.epb1"
    print(f"Sealing two envelopes with {args.mb:.0f} MiB of documents …")
    docs = os.urandom(int(args.mb * 2**20))
    small.write_bytes(seal_for(tender, setup.suppliers[0][0], price=price, docs=docs))
    large.write_bytes(seal_for(tender, setup.suppliers[1][0], price=price, docs=docs))

    port = surge_bench.free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "api.site.wsgi", "-w", "1", "--threads",
         str(args.threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "--timeout", "300"],
        cwd=ROOT, env=env, stderr=(var / "server.log").open("w"),
    )  # fmt: skip
    try:
        surge_bench.wait_for(port)
        worker = worker_pid(server.pid)
        path = f"/api/v1/tenders/{tender.reference}/bids/"
        status, data = post(port, path, setup.suppliers[0][1], small)
        if status != 201:
            sys.exit(f"the warm-up bid was refused: {status} {data[:200]!r}")
        before = memory(worker)["VmRSS"]
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset the peak to the current RSS
        started = time.perf_counter()
        status, data = post(port, path, setup.suppliers[1][1], large)
        seconds = time.perf_counter() - started
        peak = memory(worker)["VmHWM"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    if status != 201:
        sys.exit(f"the large bid was refused: {status} {data[:200]!r}")
    growth = max(0, peak - before)
    size = large.stat().st_size
    print(f"Upload of {size / 2**20:.1f} MiB accepted in {seconds:.2f} s "
          f"({size / seconds / 2**20:.0f} MiB/s)")  # fmt: skip
    print(f"Worker resident memory: {before / 2**20:.1f} MiB before, peak {peak / 2**20:.1f} MiB "
          f"during the upload: growth {growth / 2**20:.2f} MiB = {growth / READ_PIECE:.2f} x the "
          f"{READ_PIECE / 2**20:.0f} MiB piece size (goal: under 4 x)")  # fmt: skip


if __name__ == "__main__":
    main()
