#!/usr/bin/env python3
"""A small HTTP CONNECT proxy for tether's tests, written apart from tether's
own code so that its proxy client meets an implementation it did not shape.

Listens on 127.0.0.1 on a free port and prints "listening <port>". Accepts
only CONNECT (anything else: 405); with --user u:p, only with
"Proxy-Authorization: Basic base64(u:p)" (otherwise 407). Prints one line per
request, "CONNECT host:port <status>", then pipes bytes both ways.
Standard library only. The test password on argv is a test fixture.
"""
import argparse
import asyncio
import base64
import hmac
import sys

HEAD_LIMIT = 16 * 1024
REASONS = {200: "Connection established", 400: "Bad Request", 405: "Method Not Allowed",
           407: "Proxy Authentication Required", 502: "Bad Gateway"}


def log(line):
    print(line, flush=True)


async def answer(writer, status, headers=()):
    # A body on refusals, as real proxies send: the client must not mistake it for tunnel bytes.
    body = b"" if status == 200 else f"{status} {REASONS[status]}\n".encode()
    lines = [f"HTTP/1.1 {status} {REASONS[status]}", *headers]
    if status != 200:
        lines += ["Content-Type: text/plain", f"Content-Length: {len(body)}", "Connection: close"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()


def split_target(target):
    host, _, port = target.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # half-close: the answer may still be on its way back
    except OSError:
        writer.close()  # also ends the other direction, whose reader sees EOF


async def handle(expected_auth, client_reader, client_writer):
    try:
        head = await client_reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
        client_writer.close()
        return
    lines = head.decode("latin-1").split("\r\n")
    request = lines[0].split(" ")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    method, target = (request[0], request[1]) if len(request) == 3 else ("?", "?")

    async def refuse(status, extra=()):
        log(f"{method} {target} {status}")
        await answer(client_writer, status, extra)
        client_writer.close()

    if method != "CONNECT":
        return await refuse(405, ["Allow: CONNECT"])
    if expected_auth is not None:
        given = headers.get("proxy-authorization", "").encode()
        if not hmac.compare_digest(given, expected_auth):
            return await refuse(407, ['Proxy-Authenticate: Basic realm="tether-test"'])
    address = split_target(target)
    if address is None:
        return await refuse(400)
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(*address)
    except OSError:
        return await refuse(502)
    await answer(client_writer, 200)
    log(f"CONNECT {target} 200")
    await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))
    upstream_writer.close()
    client_writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", help="user:password the proxy requires")
    args = parser.parse_args()
    expected_auth = None
    if args.user is not None:
        expected_auth = b"Basic " + base64.b64encode(args.user.encode())

    async def on_client(reader, writer):
        await handle(expected_auth, reader, writer)

    server = await asyncio.start_server(on_client, "127.0.0.1", 0, limit=HEAD_LIMIT)
    log(f"listening {server.sockets[0].getsockname()[1]}")
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
