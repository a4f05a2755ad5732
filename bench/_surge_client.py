"""The surge bench's load client, in its own process so that it shares neither the server's
interpreter nor its GIL: asyncio over raw HTTP/1.1 keep-alive connections, no Django, bodies
read from files sealed beforehand. Run by bench/surge_bench.py:

    python bench/_surge_client.py PLAN.json RESULT.json

The plan names the server's port, the path, one entry per connection (its token and its
envelope files, sent one after the other, each replacing the previous with X-Supersedes when
``supersede`` is set; optionally ``at``, the wall-clock moment each envelope is due, for an
arrival schedule rather than one request straight after the other), the wall-clock moment to
start and the deadline as wall-clock time (the bench measures the offset to the database
clock first). The result records, for every request, when it was sent (wall clock, after the
whole body was written), how long the answer took (from the send, and from the moment it was
due, which counts the wait behind the connection's previous request), its status and the bid
id; and the client process's CPU time.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path


async def request(reader, writer, path: str, headers: dict, body: bytes):
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    sent = time.time()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection")
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    data = await reader.readexactly(length) if length else b""
    return sent, status, data


async def connection(plan: dict, index: int, slot: dict, results: list) -> None:
    await asyncio.sleep(max(0.0, plan["start_at"] - time.time()))  # one timer, not a poll
    # Connected when the first request is due, as a browser would: a connection opened long
    # before its request would hold a server thread that waits for it.
    reader = writer = None
    previous = slot.get("previous")  # the supplier's live bid, if it has one already
    for number, name in enumerate(slot["envelopes"]):
        if number == len(slot["envelopes"]) - 1 and plan.get("late_attempt"):
            # The last envelope is sent just after the deadline: it must be refused.
            await asyncio.sleep(max(0.0, plan["deadline_wall"] + 0.01 - time.time()))
        due = slot["at"][number] if "at" in slot and number < len(slot["at"]) else None
        if due is not None:
            await asyncio.sleep(max(0.0, due - time.time()))
        body = Path(name).read_bytes()
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", plan["port"])
        headers = {"Authorization": f"Token {slot['token']}",
                   "Content-Type": "application/octet-stream"}  # fmt: skip
        if previous and plan.get("supersede"):
            headers["X-Supersedes"] = previous
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                sent, status, data = await request(reader, writer, plan["path"], headers, body)
                break
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                # An idle keep-alive connection the server closed: reconnect and send again
                # (the platform answers a resent envelope with its original bid).
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", plan["port"])
                if attempt == 2:
                    sent, status, data = time.time(), 0, repr(exc).encode()
        answered = time.perf_counter()
        bid = None
        if status == 201:
            try:
                bid = json.loads(data).get("bid")
            except ValueError:
                bid = None
            previous = bid or previous
        results.append({
            "started": time.time() - (answered - started), "sent": sent,
            "answered": time.time(), "seconds": answered - started, "status": status,
            "from_due": time.time() - due if due is not None else None, "slot": index,
            "bid": bid, "late_attempt": number == len(slot["envelopes"]) - 1
            and bool(plan.get("late_attempt")),
            "body": data[:200].decode("utf-8", "replace") if status != 201 else "",
            "error": "" if status else data.decode(),
        })  # fmt: skip
    if writer is not None:
        writer.close()


async def main(plan: dict) -> list:
    results: list = []
    await asyncio.gather(
        *(connection(plan, n, slot, results) for n, slot in enumerate(plan["slots"]))
    )
    return results


if __name__ == "__main__":
    plan = json.loads(Path(sys.argv[1]).read_text())
    began = time.time()
    results = asyncio.run(main(plan))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    Path(sys.argv[2]).write_text(json.dumps({
        "results": results, "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "wall_seconds": time.time() - began,
    }))  # fmt: skip
