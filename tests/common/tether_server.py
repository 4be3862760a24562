"""A real `tether server` for the Python tests (packaging, deployment, docs):
initialised in a private data dir and started on free ports of 127.0.0.1,
the way tests/integration/server_fixture.h does it for the C++ suites.

    with TetherServer("/path/to/tether") as server:
        server.admin("runner", "create", "edge-1")
        print(server.tunnel_address)
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time


class TetherServer:
    def __init__(self, tether, hostname="localhost"):
        self.tether = os.path.abspath(tether)
        self.dir = tempfile.mkdtemp(prefix="tether-test-")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "server.log")
        self.hostname = hostname
        self.process = None
        self.address = None
        self.tunnel_address = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def env(self):
        """The environment of every tether process: none of the caller's TETHER_* settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TETHER_")}
        env["HOME"] = self.dir
        return env

    def start(self):
        init = subprocess.run([self.tether, "server", "init", "--data-dir", self.data, "--hostname", self.hostname],
                              capture_output=True, text=True, env=self.env())
        if init.returncode != 0:
            raise RuntimeError("tether server init failed: " + init.stderr)
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [self.tether, "server", "--data-dir", self.data, "--api-listen", "127.0.0.1:0",
             "--tunnel-listen", "127.0.0.1:0", "--log-format", "json"],
            stdout=subprocess.DEVNULL, stderr=log, env=self.env())
        self.address = self.wait_for_log("api listening")["address"]
        self.tunnel_address = self.wait_for_log("tunnel listening")["address"]

    def wait_for_log(self, message, timeout=20):
        """The first JSON log line of the server whose msg is `message`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path) as log:
                for line in log:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if entry.get("msg") == message:
                        return entry
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"no '{message}' from the server; its log:\n" + open(self.log_path).read())

    @property
    def url(self):
        # The server's certificate names the hostname given to init.
        return f"https://{self.hostname}:{self.address.rsplit(':', 1)[1]}"

    def admin(self, *args, check=True, input=None):
        """Runs `tether admin ARGS` against this server; its CompletedProcess."""
        command = [self.tether, "admin", "--config", os.path.join(self.data, "admin.toml"), "--server", self.url]
        result = subprocess.run(command + list(args), capture_output=True, text=True, env=self.env(), input=input)
        if check and result.returncode != 0:
            raise RuntimeError(f"tether admin {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    def credentials(self, runner, create=True):
        """Creates runner `runner` and returns the text of a new credentials file for it."""
        if create:
            self.admin("runner", "create", runner)
        return self.admin("runner", "generate-credentials", runner).stdout

    def close(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
