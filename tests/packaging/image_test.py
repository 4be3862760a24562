#!/usr/bin/env python3
"""The container image, built from the binary under test by packaging/image
(buildah, FROM scratch): it holds only the binary and the CA bundle, runs as
a non-root user, and a runner started from it (buildah run, chroot
isolation, host network) connects to a real server on this machine with
its credentials mounted read-only, and runs an operation.

    image_test.py --tether BINARY
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "common"))
from tether_server import TetherServer  # noqa: E402

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
NONROOT = 65532


def fail(message):
    sys.exit("FAIL: " + message)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tether", required=True)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="tether-image-test-")
    storage = os.path.join(scratch, "storage")
    buildah = ["buildah", "--root", os.path.join(storage, "root"), "--runroot", os.path.join(storage, "run"),
               "--storage-driver", "vfs"]
    container = None
    runner = None
    try:
        binary = os.path.join(scratch, "tether")
        subprocess.run([os.path.join(ROOT, "packaging", "strip"), args.tether, binary], check=True)
        archive = os.path.join(scratch, "tether.oci.tar")
        subprocess.run([os.path.join(ROOT, "packaging", "image"), binary, "0.0.0", storage, archive], check=True)
        if not os.path.getsize(archive):
            fail("the OCI archive is empty")

        config = json.loads(subprocess.run(buildah + ["inspect", "localhost/tether:0.0.0"], check=True,
                                           capture_output=True, text=True).stdout)["OCIv1"]["config"]
        if config.get("User") != f"{NONROOT}:{NONROOT}":
            fail(f"the image runs as {config.get('User')!r}, not {NONROOT}:{NONROOT}")
        if config.get("Entrypoint") != ["/usr/bin/tether"]:
            fail(f"the entrypoint is {config.get('Entrypoint')}")
        print("image config: user", config["User"], "entrypoint", config["Entrypoint"])

        container = subprocess.run(buildah + ["from", "localhost/tether:0.0.0"], check=True, capture_output=True,
                                   text=True).stdout.strip()
        mount = subprocess.run(buildah + ["mount", container], check=True, capture_output=True, text=True).stdout.strip()
        files = sorted(os.path.relpath(os.path.join(d, f), mount) for d, _, fs in os.walk(mount) for f in fs)
        if files != ["etc/ssl/certs/ca-certificates.crt", "usr/bin/tether"]:
            fail(f"the image holds {files}, not only the binary and the CA bundle")
        state = os.stat(os.path.join(mount, "var/lib/tether-runner"))
        if (state.st_uid, state.st_gid) != (NONROOT, NONROOT) or state.st_mode & 0o022:
            fail("/var/lib/tether-runner is not the image user's, or others may write to it")
        if config.get("Volumes") != {"/var/lib/tether-runner": {}}:
            fail(f"the image's volumes are {config.get('Volumes')}")

        run = buildah + ["run", "--isolation", "chroot", container, "--"]
        report = json.loads(subprocess.run(run + ["/usr/bin/tether", "version", "-o", "json"], check=True,
                                           capture_output=True, text=True).stdout)
        if report.get("static") is not True:
            fail("the binary in the image is not the static release build")
        print("in the image:", report["version"], report["commit"], report["compiler"])

        with TetherServer(args.tether) as server:
            credentials = os.path.join(scratch, "credentials")
            audit = os.path.join(scratch, "audit")
            os.makedirs(credentials)
            os.makedirs(audit)
            path = os.path.join(credentials, "credentials.json")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(server.credentials("image-1"))
            for item in (credentials, path, audit):
                os.chown(item, NONROOT, NONROOT)
            log_path = os.path.join(scratch, "runner.log")
            with open(log_path, "w") as log:
                runner = subprocess.Popen(
                    buildah + ["run", "--isolation", "chroot",
                               "--volume", f"{credentials}:/etc/tether:ro",
                               # Not over the image's VOLUME /var/lib/tether-runner: buildah
                               # mounts that one after --volume, hiding this directory.
                               "--volume", f"{audit}:/audit",
                               container, "--", "/usr/bin/tether", "runner",
                               "--credentials", "/etc/tether/credentials.json",
                               "--audit-path", "/audit/audit.jsonl",
                               "--tunnel-endpoint", "localhost:" + server.tunnel_address.rsplit(":", 1)[1],
                               "--log-format", "json"],
                    stdout=log, stderr=log)
            deadline = time.monotonic() + 30
            while "tunnel up" not in open(log_path).read():
                if runner.poll() is not None or time.monotonic() > deadline:
                    fail("the runner in the image did not connect; it said:\n" + open(log_path).read())
                time.sleep(0.1)
            info = json.loads(server.admin("op", "run", "--runner", "image-1", "system.info", "-o", "json").stdout)
            if info["status"] != "succeeded" or info["result"]["runner"] != "image-1":
                fail(f"system.info through the image's runner: {info}")
            trail = os.path.join(audit, "audit.jsonl")
            if not os.path.exists(trail):
                fail("the runner in the image wrote no audit trail; it said:\n" + open(log_path).read())
            owner = os.stat(trail).st_uid
            if owner != NONROOT:
                fail(f"the runner in the image wrote its audit trail as uid {owner}, not {NONROOT}")
            print("a runner from the image connected and ran system.info as uid", owner)
        print("ok")
    finally:
        if runner and runner.poll() is None:
            runner.terminate()
            try:
                runner.wait(timeout=20)
            except subprocess.TimeoutExpired:
                runner.kill()
        if container:
            subprocess.run(buildah + ["rm", container], capture_output=True)
        subprocess.run(buildah + ["rm", "--all"], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
