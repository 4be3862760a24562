#!/usr/bin/env python3
"""An HTTP/1.1 server for tether's tests, written apart from tether's code
(Python's http.server and ssl): it stands in for a cloud endpoint.

    http_server.py [--tls-cert PEM --tls-key PEM] [--client-ca PEM]
                   [--bearer TOKEN] [--idle-timeout SECONDS] [--kubernetes] [--host 127.0.0.1]

Prints "listening PORT" once ready, then "request METHOD PATH
authorization=yes|no" for each request. Every answer keeps the connection open
(HTTP/1.1) unless the path says otherwise. With --client-ca the TLS
handshake requires a client certificate from that CA; with --bearer every
request needs "Authorization: Bearer TOKEN" (else 401, as an API server
answers).

    /api/v1/namespaces/NS/pods   with --kubernetes: a PodList of two pods in NS
    /big/N     N bytes of "x"
    /slow/MS   waits MS milliseconds, then echoes
    /close     echoes, then closes the connection
    anything   echoes: {"method","path","query","headers","body","connection","client_subject"}
"""
import argparse
import itertools
import json
import ssl
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

connection_ids = itertools.count(1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bearer = None
    kubernetes = False

    def setup(self):
        super().setup()
        self.connection_id = next(connection_ids)

    def log_message(self, *args):
        pass  # stdout says only "listening PORT"

    def answer(self, status, body, content_type="application/json", close=False):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        # One line per request, so a test can tell whether anything (and a
        # credential) reached this server.
        print(f"request {self.command} {urllib.parse.urlsplit(self.path).path} "
              f"authorization={'yes' if self.headers.get('Authorization') else 'no'}", flush=True)
        if self.bearer is not None and self.headers.get("Authorization") != "Bearer " + self.bearer:
            self.answer(401, json.dumps({"kind": "Status", "status": "Failure", "reason": "Unauthorized",
                                         "code": 401}).encode())
            return
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if self.kubernetes and len(parts) == 5 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "pods":
            namespace = parts[3]
            pods = [{"metadata": {"name": name, "namespace": namespace}, "status": {"phase": phase}}
                    for name, phase in (("web-" + namespace, "Running"), ("job-" + namespace, "Succeeded"))]
            self.answer(200, json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": pods}).encode())
            return
        if url.path.startswith("/big/"):
            self.answer(200, b"x" * int(url.path[5:]), "application/octet-stream")
            return
        if url.path.startswith("/slow/"):
            time.sleep(int(url.path[6:]) / 1000)
        subject = None
        certificate = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if certificate:
            subject = dict(item[0] for item in certificate.get("subject", ()))
        echo = {"method": self.command, "path": url.path, "query": url.query,
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "body": body.decode("utf-8", "replace"), "connection": self.connection_id,
                "client_subject": subject}
        self.answer(200, json.dumps(echo).encode(), close=url.path == "/close")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--client-ca")
    parser.add_argument("--bearer")
    parser.add_argument("--kubernetes", action="store_true", help="answer pod lists as an API server would")
    parser.add_argument("--idle-timeout", type=float, help="seconds before an idle connection is dropped, unannounced")
    args = parser.parse_args()
    Handler.bearer = args.bearer
    Handler.kubernetes = args.kubernetes
    if args.idle_timeout:
        Handler.timeout = args.idle_timeout
    server = ThreadingHTTPServer((args.host, 0), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            context.load_verify_locations(args.client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
