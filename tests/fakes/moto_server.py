#!/usr/bin/env python3
"""moto, a real AWS emulator (not tether's code), for tether's tests.

    moto_server.py [--check-auth]

Starts moto's server on 127.0.0.1 and a free port and prints
"listening PORT". With --check-auth, moto checks every request's signature
and IAM policy (its INITIAL_NO_AUTH_ACTION_COUNT mode): the first calls,
made here with boto3 before anything else can call, create

    user "full"     allowed sts:*, ec2:*, s3:*
    user "limited"  allowed sts:GetCallerIdentity only
    role "target"   allowed sts:GetCallerIdentity and s3:ListAllMyBuckets

and their keys are printed as one line: "keys {JSON}". Without it, moto
accepts any signature (the keys are still printed).
"""
import argparse
import json
import os
import sys

SETUP_CALLS = 8  # the boto3 calls below, each one unchecked action

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--check-auth", action="store_true")
args = parser.parse_args()
if args.check_auth:
    # moto reads this when it is imported.
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_CALLS)

try:
    import boto3
    from moto.server import ThreadedMotoServer
except ImportError as missing:
    print(f"moto_server.py needs Python's moto and boto3 ({missing}): the image's python3 has them "
          "(pip install 'moto[server]' boto3 elsewhere)", file=sys.stderr)
    sys.exit(2)

import logging

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on the test's stderr
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
endpoint = f"http://{host}:{port}"


def policy(*actions):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
keys = {}
for user, actions in (("full", ("sts:*", "ec2:*", "s3:*")), ("limited", ("sts:GetCallerIdentity",))):
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName=user, PolicyDocument=policy(*actions))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    keys[user] = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
trust = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
role = iam.create_role(RoleName="target", AssumeRolePolicyDocument=trust)["Role"]
iam.put_role_policy(RoleName="target", PolicyName="target",
                    PolicyDocument=policy("sts:GetCallerIdentity", "s3:ListAllMyBuckets"))
keys["role_arn"] = role["Arn"]

print(f"listening {port}", flush=True)
print("keys " + json.dumps(keys), flush=True)
server._thread.join()
