#!/usr/bin/env python3
"""What a release ships beside its binaries: the SBOM (packaging/sbom.py)
names every library that `tether version -o json` reports, with the
version Debian installed, and the binary's own checksum; SHA256SUMS signed
by packaging/sign verifies with GnuPG, and a changed byte does not.

    release_test.py --tether BINARY --build-dir DIR
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))

# `tether version` names a library as Meson found it; Debian ships it in this package.
DEBIAN_PACKAGE = {
    "Boost": "libboost1.74-dev", "CLI11": "libcli11-dev", "fmt": "libfmt-dev", "nlohmann_json": "nlohmann-json3-dev",
    "OpenSSL": "libssl-dev", "pugixml": "libpugixml-dev", "SQLite": "libsqlite3-dev",
    "toml++": "libtomlplusplus-dev", "yaml-cpp": "libyaml-cpp-dev",
}


def fail(message):
    sys.exit("FAIL: " + message)


def check_sbom(tether, build_dir, scratch):
    binary = os.path.join(scratch, "tether")
    subprocess.run([os.path.join(ROOT, "packaging", "strip"), tether, binary], check=True)
    output = os.path.join(scratch, "sbom.spdx.json")
    subprocess.run([os.path.join(ROOT, "packaging", "sbom.py"), build_dir, binary, "0.0.0", output], check=True)
    sbom = json.load(open(output))
    if sbom.get("spdxVersion") != "SPDX-2.3" or sbom.get("SPDXID") != "SPDXRef-DOCUMENT":
        fail("not an SPDX 2.3 document")
    packages = {p["name"]: p for p in sbom["packages"]}
    digest = hashlib.sha256(open(binary, "rb").read()).hexdigest()
    if packages["tether"]["checksums"] != [{"algorithm": "SHA256", "checksumValue": digest}]:
        fail("the SBOM's tether package does not carry the binary's SHA-256")

    report = json.loads(subprocess.run([tether, "version", "-o", "json"], check=True, capture_output=True,
                                       text=True).stdout)
    for library, version in report["libraries"].items():
        package = DEBIAN_PACKAGE.get(library)
        if package is None:
            fail(f"tether version names {library}, which this test does not know: add it to DEBIAN_PACKAGE")
        if package not in packages:
            fail(f"{library} {version} is built in, but the SBOM has no {package}")
        installed = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], check=True,
                                   capture_output=True, text=True).stdout
        if packages[package]["versionInfo"] != installed:
            fail(f"the SBOM says {package} {packages[package]['versionInfo']}, dpkg says {installed}")
        print(f"{library} {version}: {package} {installed}")
    # Static archives are STATIC_LINK; the C and C++ runtimes are among them.
    linked = {r["relatedSpdxElement"] for r in sbom["relationships"] if r["relationshipType"] == "STATIC_LINK"}
    for package in ("libssl-dev", "libsqlite3-dev", "zlib1g-dev", "libc6-dev", "libstdc++-12-dev"):
        if package not in packages or packages[package]["SPDXID"] not in linked:
            fail(f"the SBOM does not say that {package} is linked statically")


def check_signature(scratch):
    home = os.path.join(scratch, "gnupg")
    os.mkdir(home, 0o700)
    env = dict(os.environ, GNUPGHOME=home)
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-generate-key",
                    "tether test key <test@tether.example.com>", "ed25519", "sign", "1d"],
                   check=True, capture_output=True, env=env)
    listing = subprocess.run(["gpg", "--with-colons", "--list-keys"], check=True, capture_output=True, text=True,
                             env=env).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))

    artifact = os.path.join(scratch, "tether_0.0.0_amd64.deb")
    with open(artifact, "wb") as out:
        out.write(os.urandom(4096))
    sums = os.path.join(scratch, "SHA256SUMS")
    subprocess.run(f"sha256sum {os.path.basename(artifact)} > SHA256SUMS", shell=True, check=True, cwd=scratch)
    subprocess.run([os.path.join(ROOT, "packaging", "sign"), fingerprint, sums], check=True, env=env)
    # What docs/releasing.md tells users to run.
    verify = subprocess.run(["gpg", "--batch", "--verify", "SHA256SUMS.asc", "SHA256SUMS"], cwd=scratch, env=env,
                            capture_output=True, text=True)
    if verify.returncode != 0:
        fail("the signature does not verify: " + verify.stderr)
    subprocess.run(["sha256sum", "-c", "--ignore-missing", "SHA256SUMS"], check=True, cwd=scratch)
    with open(sums, "a") as out:
        out.write("0" * 64 + "  tether-evil.tar.gz\n")
    tampered = subprocess.run(["gpg", "--batch", "--verify", "SHA256SUMS.asc", "SHA256SUMS"], cwd=scratch, env=env,
                              capture_output=True)
    if tampered.returncode == 0:
        fail("a changed SHA256SUMS still verifies")
    print("SHA256SUMS signed by", fingerprint, "verifies; a changed one does not")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tether", required=True)
    parser.add_argument("--build-dir", required=True)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="tether-release-test-")
    try:
        check_sbom(args.tether, args.build_dir, scratch)
        check_signature(scratch)
        print("ok")
    finally:
        subprocess.run(["gpgconf", "--homedir", os.path.join(scratch, "gnupg"), "--kill", "all"], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
