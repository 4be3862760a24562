#!/usr/bin/env python3
"""EC2 instance metadata (IMDSv2) and ECS container credentials, as fakes
for tether's tests, checking what the real services check. Written with
Python's http.server, apart from tether's code.

    metadata_server.py --keys JSON [--ecs-token TOKEN] [--moto URL --role-arn ARN]

Prints "listening PORT". --keys is {"access_key_id", "secret_access_key"}.
Both endpoints hand out temporary credentials, as the real ones do: with
--moto, real ones from moto's STS (AssumeRole into --role-arn with --keys,
so that a moto checking signatures knows them); without, --keys with a
made-up session token. Expiration: an hour ahead.

    PUT /latest/api/token                       needs X-aws-ec2-metadata-token-ttl-seconds (1-21600)
    GET /latest/meta-data/iam/security-credentials/        needs X-aws-ec2-metadata-token
    GET /latest/meta-data/iam/security-credentials/ROLE    likewise
    GET /ecs/credentials                        needs Authorization: TOKEN (with --ecs-token)
    GET /stats                                  how many of each were served, refused
"""
import argparse
import datetime
import json
import secrets
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = "tether-instance-role"
stats = {"token": 0, "role_list": 0, "role_credentials": 0, "ecs": 0, "refused": 0}
tokens = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    keys = {}
    ecs_token = None
    issued = None  # moto's temporary credentials, fetched once at start: IMDS answers fast

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def refuse(self, status, why):
        stats["refused"] += 1
        self.answer(status, why)

    def credentials(self):
        if self.issued:
            return dict(self.issued)
        expiration = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
        return {"AccessKeyId": self.keys["access_key_id"], "SecretAccessKey": self.keys["secret_access_key"],
                "Token": "fake-session-token-" + secrets.token_hex(8),
                "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ")}

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.refuse(404, "not found")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.refuse(400, "missing or invalid X-aws-ec2-metadata-token-ttl-seconds")
        token = secrets.token_urlsafe(32)
        tokens.add(token)
        stats["token"] += 1
        self.answer(200, token)

    def do_GET(self):
        if self.path == "/stats":
            return self.answer(200, json.dumps(stats), "application/json")
        if self.path == "/ecs/credentials":
            if self.ecs_token is not None and self.headers.get("Authorization") != self.ecs_token:
                return self.refuse(401, json.dumps({"code": "Unauthorized", "message": "bad authorization token"}))
            stats["ecs"] += 1
            return self.answer(200, json.dumps(self.credentials()), "application/json")
        prefix = "/latest/meta-data/iam/security-credentials/"
        if not self.path.startswith(prefix):
            return self.refuse(404, "not found")
        if self.headers.get("X-aws-ec2-metadata-token") not in tokens:
            return self.refuse(401, "")  # IMDSv2 only: no valid token, no answer
        role = self.path[len(prefix):]
        if role == "":
            stats["role_list"] += 1
            return self.answer(200, ROLE)
        if role != ROLE:
            return self.refuse(404, "not found")
        stats["role_credentials"] += 1
        answer = dict(self.credentials(), Code="Success", Type="AWS-HMAC",
                      LastUpdated=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.answer(200, json.dumps(answer), "application/json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", required=True)
    parser.add_argument("--ecs-token")
    parser.add_argument("--moto")
    parser.add_argument("--role-arn")
    args = parser.parse_args()
    Handler.keys = json.loads(args.keys)
    Handler.ecs_token = args.ecs_token
    if args.moto:
        import boto3
        sts = boto3.client("sts", endpoint_url=args.moto, region_name="us-east-1",
                           aws_access_key_id=Handler.keys["access_key_id"],
                           aws_secret_access_key=Handler.keys["secret_access_key"])
        issued = sts.assume_role(RoleArn=args.role_arn, RoleSessionName="metadata-fake")["Credentials"]
        Handler.issued = {"AccessKeyId": issued["AccessKeyId"], "SecretAccessKey": issued["SecretAccessKey"],
                          "Token": issued["SessionToken"],
                          "Expiration": issued["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
