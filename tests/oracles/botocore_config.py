#!/usr/bin/env python3
"""Resolves AWS profiles with botocore: an independent reference.

Reads one JSON object per line on stdin: {"env": {name: value}, "profile":
an explicit profile name or null}. For each, a fresh botocore Session runs
with exactly that environment (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE,
HOME, AWS_PROFILE, ...) and prints one JSON line: {"ok": true, "profile":
the scoped config, key -> value (a nested block is an object), "services":
the [services ...] sections} or {"ok": false, "error": the exception class}.
"""
import json
import os
import sys

import botocore.exceptions
import botocore.session


def resolve(case):
    os.environ.clear()
    os.environ.update(case["env"])
    session = botocore.session.Session(profile=case.get("profile"))
    try:
        profile = session.get_scoped_config()
        services = session.full_config.get("services", {})
    except (botocore.exceptions.ConfigParseError, botocore.exceptions.ProfileNotFound) as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "profile": profile, "services": services}


def main():
    for line in sys.stdin:
        print(json.dumps(resolve(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
