#!/usr/bin/env python3
"""A deliberately careless or hostile HTTP client for tether's tests, built on
Python's socket and ssl modules only, so that it can send what no proper
client would: requests without a Host, with two, with a 16 MB
Content-Length and no body, or a thousand idle connections from one
address.

    raw_client.py send --port P [--ca FILE] [--source ADDR] [--linger S]
        Sends standard input as it is (over TLS with --ca) and prints one
        JSON line: {"status": N or null, "response": first 4 KiB, "closed":
        bool, "elapsed_ms": N}. --linger waits that long for the answer.

    raw_client.py flood --port P --count N [--source ADDR] [--hold S]
        Opens N TCP connections from ADDR and sends nothing; prints
        {"ready": true, "opened": N, "refused": M} once all are tried, then
        after --hold seconds {"open_at_end": K}: how many the server had
        not closed.
"""
import argparse
import json
import resource
import socket
import ssl
import sys
import time


def connect(port, source, timeout=10):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    if source:
        sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def send(args):
    payload = sys.stdin.buffer.read()
    started = time.monotonic()
    sock = connect(args.port, args.source)
    if args.ca:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(args.ca)
        sock = context.wrap_socket(sock, server_hostname="localhost")
    report = {"status": None, "response": "", "closed": False}
    try:
        sock.sendall(payload)
    except OSError as error:  # the server may close before all is sent
        report["send_error"] = str(error)
    sock.settimeout(args.linger)
    received = b""
    try:
        while len(received) < 4096:
            data = sock.recv(4096)
            if not data:
                report["closed"] = True
                break
            received += data
    except (socket.timeout, ssl.SSLError, OSError):
        pass
    report["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    text = received.decode("latin-1")
    report["response"] = text
    if text.startswith("HTTP/1."):
        report["status"] = int(text.split(" ", 2)[1])
    print(json.dumps(report), flush=True)


def flood(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sockets, refused = [], 0
    for _ in range(args.count):
        try:
            sockets.append(connect(args.port, args.source, timeout=2))
        except OSError:
            refused += 1
    print(json.dumps({"ready": True, "opened": len(sockets), "refused": refused}), flush=True)
    time.sleep(args.hold)
    still_open = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            still_open += 1 if sock.recv(1) else 0  # b"": the server closed it
        except BlockingIOError:
            still_open += 1  # nothing to read and not closed: the server holds it
        except OSError:
            pass
        sock.close()
    print(json.dumps({"open_at_end": still_open}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("send")
    one.add_argument("--port", type=int, required=True)
    one.add_argument("--ca")
    one.add_argument("--source")
    one.add_argument("--linger", type=float, default=5)
    many = commands.add_parser("flood")
    many.add_argument("--port", type=int, required=True)
    many.add_argument("--count", type=int, required=True)
    many.add_argument("--source")
    many.add_argument("--hold", type=float, default=5)
    args = parser.parse_args()
    send(args) if args.command == "send" else flood(args)


if __name__ == "__main__":
    main()
