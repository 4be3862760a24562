#!/usr/bin/env python3
"""A tunnel client for tether's tests, written apart from tether's own code:
it speaks to the tunnel listener through Debian 12's python3-websockets
(10.4, asyncio API) and Python's ssl module, so the server meets a WebSocket
and TLS stack it did not shape.

    tunnel_client.py --credentials FILE [--endpoint HOST:PORT] --scenario NAME
                     [--server-name NAME]
    tunnel_client.py --credentials FILE --scenario storm --count N --seconds S

(storm holds N tunnels for S seconds and prints a line per round instead;
see storm() below.)

Reads a runner credentials file (docs/credentials-file.md), dials
wss://HOST:PORT/v1/tunnel with the runner certificate (TLS 1.3, trusting only
the file's CA) and the API key, plays one scenario, and prints ONE JSON line
saying what happened: the welcome, every message received, the WebSocket
close code and reason, the HTTP status of a refused upgrade, any exception.
Exits 0 whatever the server did; non-zero only when this script itself
cannot run (bad arguments, unreadable credentials, websockets missing).
"""
import argparse
import asyncio
import json
import os
import random
import resource
import ssl
import sys
import tempfile
import time

try:
    import websockets
except ImportError:
    print("tunnel_client.py needs python3-websockets (scripts/setup-deps installs it)", file=sys.stderr)
    sys.exit(2)

SUBPROTOCOL = "tether.v1"
UPGRADE_PATH = "/v1/tunnel"
HELLO = {"type": "hello", "versions": [1], "runner_version": "python-test", "hostname": "py",
         "operations": [], "capabilities": [], "max_in_flight": 4}
# Larger than the 64 KiB limit the tests give the server, smaller than its default.
OVERSIZE_BYTES = 200 * 1024
# How long to wait for the server's next message before calling the tunnel open.
QUIET_SECONDS = 5
SCENARIO_SECONDS = 30


def request(request_id):
    return json.dumps({"type": "request", "id": request_id, "operation": "secret.resolve", "params": {},
                       "timeout_ms": 1000})


def parse_endpoint(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise SystemExit(f"--endpoint must be HOST:PORT, not {text!r}")
    return host.strip("[]"), int(port)


def write_private(directory, name, text):
    # Created 0600 from the start, never chmod-ed after writing.
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    return path


def tls_context(credentials):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and the host name
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_verify_locations(cadata=credentials["ca_certificate"])  # the file's CA only
    # load_cert_chain reads files: put the key in a private directory (0700) only for that call.
    with tempfile.TemporaryDirectory(prefix="tether-pyclient-") as directory:
        certificate = write_private(directory, "runner.crt", credentials["certificate"])
        key = write_private(directory, "runner.key", credentials["private_key"])
        context.load_cert_chain(certificate, key)
    return context


def corrupted(api_key):
    # Same shape (tth_<id>_<secret>), different last character: a wrong secret.
    return api_key[:-1] + ("B" if api_key[-1] != "B" else "C")


def record_message(report, data):
    if isinstance(data, bytes):
        report["binary_messages"] += 1
        return
    # Messages queued together arrive as one frame joined by newlines.
    for line in data.split("\n"):
        if not line:
            continue
        try:
            message = json.loads(line)
        except ValueError:
            message = {"unparsed": line[:200]}
        report["messages"].append(message)


def record_close(report, closed):
    report["close"] = {
        "code": closed.code,  # 1006 when no close frame came
        "reason": closed.reason,
        "received": closed.rcvd is not None,
        "sent_code": closed.sent.code if closed.sent is not None else None,
        "by": "server",
    }


async def receive_until_closed(ws, report, wanted=None):
    """Records messages until the server closes (or `wanted` messages came,
    or QUIET_SECONDS pass in silence); True if the connection closed."""
    while wanted is None or len(report["messages"]) < wanted:
        try:
            data = await asyncio.wait_for(ws.recv(), QUIET_SECONDS)
        except asyncio.TimeoutError:
            report["quiet"] = True  # the server left the tunnel open
            return False
        except websockets.ConnectionClosed as closed:
            record_close(report, closed)
            return True
        record_message(report, data)
    return False


async def close_ourselves(ws, report):
    await ws.close(1000, "done")
    report["close"] = {"code": ws.close_code, "reason": ws.close_reason, "received": ws.close_code is not None,
                       "sent_code": 1000, "by": "client"}


async def send_then_watch(ws, report, data):
    try:
        await ws.send(data)
    except websockets.ConnectionClosed as closed:  # the server may close before the send drains
        record_close(report, closed)
        return
    if not await receive_until_closed(ws, report):
        await close_ourselves(ws, report)


async def welcome(ws, report):
    await ws.send(json.dumps(HELLO))
    try:
        frame = await asyncio.wait_for(ws.recv(), QUIET_SECONDS)
    except websockets.ConnectionClosed as closed:
        record_close(report, closed)
        return False
    record_message(report, frame)
    if not report["messages"] or report["messages"][0].get("type") != "welcome":
        return False
    report["welcome"] = report["messages"].pop(0)
    return True


async def play(scenario, ws, report):
    report["subprotocol"] = ws.subprotocol
    if scenario == "no_hello":
        await send_then_watch(ws, report, request("r0"))
        return
    if not await welcome(ws, report):
        if report["close"] is None:
            await receive_until_closed(ws, report)
        return
    if scenario == "handshake":
        await close_ourselves(ws, report)
    elif scenario == "binary_garbage":
        # Random bytes, but never the 0x01 that starts a chunk frame.
        await send_then_watch(ws, report, b"\xfe" + os.urandom(255))
    elif scenario == "oversize":
        await send_then_watch(ws, report, "x" * OVERSIZE_BYTES)
    elif scenario == "bad_json":
        await send_then_watch(ws, report, '{"type":"response",')
    elif scenario == "unknown_type":
        await send_then_watch(ws, report, '{"type":"teleport","id":"x"}')
    elif scenario == "answer_first_request":
        # Plays a runner for one request: records it as it arrived (with
        # whatever the server resolved into it) and refuses it.
        if await receive_until_closed(ws, report, wanted=1):
            return
        if report["messages"] and report["messages"][0].get("type") == "request":
            await ws.send(json.dumps({"type": "response", "id": report["messages"][0]["id"],
                                      "error": {"code": "unavailable", "message": "the python client only looks"}}))
        await close_ourselves(ws, report)
    elif scenario == "deep_result":
        # A compromised runner answers its first request with a result
        # nested 100,000 deep: the server must refuse it, not recurse on it.
        if await receive_until_closed(ws, report, wanted=1):
            return
        first = report["messages"][0]
        if first.get("type") == "request":
            deep = "[" * 100_000 + "]" * 100_000
            await send_then_watch(ws, report, '{"type":"response","id":%s,"result":%s}' % (json.dumps(first["id"]), deep))
    elif scenario == "reused_request_id":
        await ws.send(request("r1"))
        await ws.send(request("r1"))
        if await receive_until_closed(ws, report, wanted=2):
            return
        # Still open: a fresh id is answered as usual.
        await ws.send(request("r2"))
        if not await receive_until_closed(ws, report, wanted=3):
            await close_ourselves(ws, report)


async def refused_upgrade_body(host, port, server_name, context, api_key):
    """websockets 10 keeps only a refusal's status and headers: ask again by
    hand to read the body."""
    reader, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=server_name)
    writer.write((f"GET {UPGRADE_PATH} HTTP/1.1\r\nHost: {server_name}\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {SUBPROTOCOL}\r\n"
                  f"Authorization: Bearer {api_key}\r\n\r\n").encode())
    await writer.drain()
    response = b""
    try:
        while len(response) < 64 * 1024:
            chunk = await reader.read(4096)
            if not chunk:
                break
            response += chunk
    except (ssl.SSLError, ConnectionError):
        pass  # the server hangs up after its answer; what came before counts
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
    return status_line, body.decode(errors="replace")


async def run(scenario, host, port, server_name, context, api_key, report):
    authority = f"[{host}]" if ":" in host else host
    try:
        ws = await websockets.connect(
            f"wss://{authority}:{port}{UPGRADE_PATH}", ssl=context, server_hostname=server_name,
            subprotocols=[SUBPROTOCOL], extra_headers={"Authorization": f"Bearer {api_key}"},
            max_size=16 * 1024 * 1024,
            compression=None,  # the server does not deflate; keep frame sizes what we send
            ping_interval=None, open_timeout=10, close_timeout=5)
    except websockets.InvalidStatusCode as refused:
        report["http_status"] = refused.status_code
        report["http_status_line"], body = await refused_upgrade_body(host, port, server_name, context, api_key)
        try:
            report["http_body"] = json.loads(body)
        except ValueError:
            report["http_body"] = body[:500]
        return
    try:
        await play(scenario, ws, report)
    finally:
        if ws.close_code is None:
            await ws.close()


async def storm(count, seconds, host, port, server_name, context, api_key):
    """`count` tunnels at once, each dialling again with full-jitter backoff
    (0.5 s doubling to 5 s, as a runner does) whenever it is refused or
    closed. Prints {"round": N, "welcomed": count, "seconds": S} each time
    every tunnel has been welcomed N times: round 2 is the fleet back after
    a server restart."""
    authority = f"[{host}]" if ":" in host else host
    welcomes = [0] * count
    started = time.monotonic()
    rounds = [0]

    async def tunnel(index):
        delay = 0.5
        while True:
            try:
                async with websockets.connect(
                        f"wss://{authority}:{port}{UPGRADE_PATH}", ssl=context, server_hostname=server_name,
                        subprotocols=[SUBPROTOCOL], extra_headers={"Authorization": f"Bearer {api_key}"},
                        compression=None, ping_interval=None, open_timeout=30, close_timeout=2) as ws:
                    await ws.send(json.dumps(HELLO))
                    first = (await ws.recv()).split("\n")[0]
                    if json.loads(first).get("type") == "welcome":
                        welcomes[index] += 1
                        delay = 0.5
                        if min(welcomes) > rounds[0]:
                            rounds[0] = min(welcomes)
                            print(json.dumps({"round": rounds[0], "welcomed": count,
                                              "seconds": round(time.monotonic() - started, 1)}), flush=True)
                    async for _ in ws:  # held open; the library answers the server's pings
                        pass
            except (OSError, ValueError, asyncio.TimeoutError, websockets.WebSocketException):
                pass
            await asyncio.sleep(random.uniform(0, delay))
            delay = min(delay * 2, 5)

    tasks = [asyncio.create_task(tunnel(i)) for i in range(count)]
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--credentials", required=True)
    parser.add_argument("--endpoint", help="HOST:PORT of the tunnel listener (default: the file's tunnel_endpoint)")
    parser.add_argument("--scenario", required=True,
                        choices=["handshake", "deep_result", "binary_garbage", "oversize", "bad_json", "unknown_type",
                                 "reused_request_id", "no_hello", "wrong_key", "answer_first_request", "storm"])
    parser.add_argument("--count", type=int, default=1000, help="storm: how many tunnels")
    parser.add_argument("--seconds", type=float, default=120, help="storm: how long to keep them")
    parser.add_argument("--server-name", help="the name to verify the server's certificate against")
    args = parser.parse_args()
    with open(args.credentials, encoding="utf-8") as file:
        credentials = json.load(file)
    for field in ("ca_certificate", "certificate", "private_key", "api_key"):
        if not isinstance(credentials.get(field), str) or not credentials[field]:
            raise SystemExit(f"{args.credentials}: {field} is missing")
    host, port = parse_endpoint(args.endpoint or credentials.get("tunnel_endpoint", ""))
    context = tls_context(credentials)
    api_key = credentials["api_key"]
    if args.scenario == "wrong_key":
        api_key = corrupted(api_key)
    if args.scenario == "storm":
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        asyncio.run(storm(args.count, args.seconds, host, port, args.server_name or host, context, api_key))
        return

    report = {"scenario": args.scenario, "websockets_version": websockets.__version__, "welcome": None,
              "subprotocol": None, "messages": [], "binary_messages": 0, "quiet": False, "close": None,
              "http_status": None, "error": None}
    try:
        asyncio.run(asyncio.wait_for(run(args.scenario, host, port, args.server_name or host, context, api_key, report),
                                     SCENARIO_SECONDS))
    except (OSError, ValueError, asyncio.TimeoutError, websockets.WebSocketException) as error:
        # What the server or the network did to us is part of the report.
        report["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
