#!/usr/bin/env python3
"""Runs the runnable command blocks of a Markdown guide, in order, as a reader would.

A block is runnable when its fence's info string holds the word `runnable`:

    ```sh runnable
    tether admin runner list
    ```

GitHub highlights it as `sh` and ignores the rest of the info string.

All blocks run in one bash, so variables, `cd` and background jobs carry
from one block to the next, with `set -e`: the first command that fails ends
the run, and the test fails naming the guide's line and the block's output.
The shell starts in a new scratch directory that is also $HOME, with the
tether binary under test first on PATH, no TETHER_* or proxy variables from
the caller, and API_PORT and TUNNEL_PORT set to free ports on 127.0.0.1 (the
guide's first block keeps values that are already set). At the end every
process the shell started is stopped, by its process group.

Usage: run_guide.py --tether PATH --guide docs/getting-started.md [--keep]
"""

import argparse
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BLOCK_TIMEOUT = 120  # seconds for one block; the whole test has Meson's timeout
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


class Block:
    def __init__(self, line, info, text):
        self.line = line  # the guide's line of the block's first command line
        self.info = info
        self.text = text
        self.output = ""


def runnable_blocks(path):
    """The guide's fenced blocks whose info string holds the word `runnable`."""
    blocks = []
    with open(path, encoding="utf-8") as guide:
        lines = guide.read().split("\n")
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening.group("fence")
        info = opening.group("info").strip()
        body = []
        j = i + 1
        while j < len(lines):
            closing = FENCE.match(lines[j])
            if closing and closing.group("fence")[0] == fence[0] and len(closing.group("fence")) >= len(fence) \
                    and not closing.group("info").strip():
                break
            body.append(lines[j])
            j += 1
        if j == len(lines):
            sys.exit(f"{path}:{i + 1}: a code block that is never closed")
        if "runnable" in info.split():
            blocks.append(Block(i + 2, info, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment(scratch, bin_dir):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("TETHER_") and key.lower() not in ("https_proxy", "http_proxy", "no_proxy",
                                                                    "all_proxy")}
    env["HOME"] = scratch
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env.pop("XDG_CONFIG_HOME", None)
    api_port = free_port()
    tunnel_port = free_port()
    while tunnel_port == api_port:
        tunnel_port = free_port()
    env["API_PORT"] = str(api_port)
    env["TUNNEL_PORT"] = str(tunnel_port)
    env["LC_ALL"] = "C.UTF-8"
    return env


def reader(stream, lines):
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put(None)


def stop_group(shell):
    """Stops the shell and every process it started (they share its process group)."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(shell.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(shell.pid, 0)
            except ProcessLookupError:
                return
            shell.poll()
            time.sleep(0.1)


def show_logs(scratch):
    """The log files the guide's background processes wrote, for a failure's report."""
    for root, _, files in os.walk(scratch):
        for name in sorted(files):
            if name.endswith(".log"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8", errors="replace") as log:
                    text = log.read()
                print(f"--- {os.path.relpath(path, scratch)} ---\n{text[-4000:]}", file=sys.stderr)


def run(tether, guide, keep):
    blocks = runnable_blocks(guide)
    if not blocks:
        sys.exit(f"{guide}: no runnable blocks (```sh runnable)")
    scratch = tempfile.mkdtemp(prefix="tether-guide-")
    scripts = tempfile.mkdtemp(prefix="tether-guide-blocks-")
    bin_dir = os.path.join(scripts, "bin")
    os.mkdir(bin_dir)
    os.symlink(os.path.abspath(tether), os.path.join(bin_dir, "tether"))
    env = clean_environment(scratch, bin_dir)
    token = f"__guide_{os.getpid()}_{int(time.time())}__"

    shell = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=scratch, env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    lines = queue.Queue()
    threading.Thread(target=reader, args=(shell.stdout, lines), daemon=True).start()
    # A failing command ends the shell; the trap says where, in the block's own file.
    shell.stdin.write(f"set -e\ntrap 'echo \"{token} failed $? at $LINENO\"' ERR\n")
    failed = None
    try:
        for number, block in enumerate(blocks):
            script = os.path.join(scripts, f"block-{number:02d}.sh")
            with open(script, "w", encoding="utf-8") as out:
                out.write(block.text)
            print(f"== {guide}:{block.line}\n{block.text.rstrip()}", flush=True)
            # Commands read nothing from the test's pipe: that carries the next blocks.
            shell.stdin.write(f"source {script} < /dev/null\necho; echo '{token} done'\n")
            shell.stdin.flush()
            output = []
            deadline = time.monotonic() + BLOCK_TIMEOUT
            outcome = None
            while outcome is None:
                try:
                    line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
                except queue.Empty:
                    outcome = ("timeout", None)
                    break
                if line is None:
                    outcome = ("exited", None)
                elif line.startswith(token):
                    words = line.split()
                    outcome = ("done", None) if words[1] == "done" else ("failed", (words[2], words[4]))
                else:
                    output.append(line)
            block.output = "".join(output)
            if block.output.endswith("\n"):
                block.output = block.output[:-1]  # the `echo` before the marker
            print(block.output, end="", flush=True)
            kind, detail = outcome
            if kind == "done":
                continue
            if kind == "failed":
                status, at = detail
                failed = f"{guide}:{block.line + int(at) - 1}: exit status {status} in the block at line {block.line}"
            elif kind == "timeout":
                failed = f"{guide}:{block.line}: the block did not finish within {BLOCK_TIMEOUT} s"
            else:
                failed = f"{guide}:{block.line}: the shell exited in this block (status {shell.poll()})"
            print(f"\nFAILED {failed}\n--- its output ---\n{block.output}", file=sys.stderr)
            show_logs(scratch)
            break
    finally:
        try:
            shell.stdin.close()
        except BrokenPipeError:
            pass
        stop_group(shell)
        if keep:
            print(f"kept {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(scripts, ignore_errors=True)
    if failed:
        return 1
    return check_outcome(guide, blocks)


def check_outcome(guide, blocks):
    """The guide's promise: a runner shown connected, and an operation run through it."""
    problems = []
    listed = [b for b in blocks if "tether admin runner list" in b.text]
    if not any("connected since" in b.output for b in listed):
        problems.append("no runnable block shows a runner 'connected since …' with `tether admin runner list`")
    ran = [b for b in blocks if re.search(r"tether admin op run --runner \S+ system\.info", b.text)]
    if not any('"hostname"' in b.output for b in ran):
        problems.append("no runnable block runs system.info through a runner with `tether admin op run`")
    for problem in problems:
        print(f"FAILED {guide}: {problem}", file=sys.stderr)
    if not problems:
        print(f"ok: {len(blocks)} runnable blocks of {guide}")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tether", required=True, help="the tether binary under test")
    parser.add_argument("--guide", required=True, help="the Markdown guide")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    if not os.access(args.tether, os.X_OK):
        sys.exit(f"{args.tether}: not an executable")
    sys.exit(run(args.tether, args.guide, args.keep))


if __name__ == "__main__":
    main()
