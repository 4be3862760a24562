#!/usr/bin/env python3
"""Splits command lines with shlex.split, as botocore splits credential_process.

Reads one JSON string per line on stdin and prints, for each, a JSON list of
words, or null when shlex refuses the line.
"""
import json
import shlex
import sys

for line in sys.stdin:
    try:
        print(json.dumps(shlex.split(json.loads(line))))
    except ValueError:
        print("null")
