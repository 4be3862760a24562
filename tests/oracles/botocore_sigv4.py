#!/usr/bin/env python3
"""Signs requests with botocore's SigV4 signer: an independent reference.

Reads one JSON object per line on stdin (method, url, headers as a list of
[name, value], body, access_key, secret_key, token, region, service,
timestamp as 20150830T123600Z, s3) and prints, for each, a JSON object with
botocore's canonical request, string to sign and signature. The timestamp is
set by hand (botocore would take the clock) through the signer's own
methods, the ones SigV4Auth.add_auth calls.
"""
import json
import sys

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(case):
    credentials = Credentials(case["access_key"], case["secret_key"], case.get("token") or None)
    signer_class = S3SigV4Auth if case.get("s3") else SigV4Auth
    signer = signer_class(credentials, case["service"], case["region"])
    request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode("utf-8"))
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders: a repeated name adds a value
    request.context["timestamp"] = case["timestamp"]
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    return {
        "canonical_request": canonical,
        "string_to_sign": string_to_sign,
        "signature": signer.signature(string_to_sign, request),
    }


def main():
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(sign(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
