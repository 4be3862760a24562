#!/usr/bin/env python3
"""Writes the software bill of materials of the static tether binary (SPDX 2.3, JSON).

    packaging/sbom.py BUILD_DIR BINARY VERSION OUTPUT

What it lists is measured, not declared: the linker is run again on the
binary's own link command with --trace, which names every archive member
and object file that went into the binary; the compiler's dependency files
(ninja -t deps) name every header compiled into it. Each file outside the
source tree is then mapped to the Debian package that ships it (dpkg's
file lists, what dpkg -S searches), with that package's installed version
(dpkg-query). Archives are
STATIC_LINK relationships; packages that contributed only headers (Boost,
nlohmann/json, fmt, CLI11, toml++, ...) are CONTAINS.
"""
import datetime
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile


def run(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def link_inputs(build_dir, target):
    """Files the linker read for `target`: archives (for their members) and objects."""
    commands = run(["ninja", "-C", build_dir, "-t", "commands", target]).strip().splitlines()
    link = shlex.split(commands[-1])
    out = link.index("-o")
    with tempfile.TemporaryDirectory() as scratch:
        link[out + 1] = os.path.join(scratch, "tether")
        traced = subprocess.run(link + ["-Wl,--trace"], cwd=build_dir, capture_output=True, text=True)
        if traced.returncode != 0:
            sys.exit("sbom.py: relinking with --trace failed:\n" + traced.stderr)
    files = set()
    for line in traced.stdout.splitlines():
        # "/usr/lib/x86_64-linux-gnu/libssl.a(ssl_lib.o)", or a plain object or library path.
        match = re.match(r"^(/[^()]+?)(\(.*\))?$", line.strip())
        if match:
            files.add(os.path.normpath(match.group(1)))
    return files


def compiled_headers(build_dir):
    """System headers that any object of the build included."""
    headers = set()
    for line in run(["ninja", "-C", build_dir, "-t", "deps"]).splitlines():
        # "target: #deps N, ..." then one indented dependency a line.
        if line.startswith("    /"):
            headers.add(os.path.normpath(line.strip()))
    return headers


def dpkg_file_owners():
    """{path: package} for every file of every installed package (what dpkg -S searches)."""
    owners = {}
    info = "/var/lib/dpkg/info"
    for entry in os.listdir(info):
        if entry.endswith(".list"):
            package = entry[: -len(".list")].split(":")[0]
            with open(os.path.join(info, entry), errors="replace") as listing:
                for line in listing:
                    owners.setdefault(line.rstrip("\n"), package)
    return owners


def owning_packages(paths, file_owners):
    """{package: set of paths}, and the paths no package ships. A path may be
    listed under /usr or not (merged /usr), or through a symlink."""
    owners = {}
    unowned = []
    for path in sorted(paths):
        candidates = [path, os.path.realpath(path)]
        candidates += [c[len("/usr"):] for c in list(candidates) if c.startswith("/usr/")]
        found = next((file_owners[c] for c in candidates if c in file_owners), None)
        if found:
            owners.setdefault(found, set()).add(path)
        else:
            unowned.append(path)
    return owners, unowned


def package_facts(package):
    fields = "${Package}\t${Version}\t${Architecture}\t${source:Package}\t${Homepage}"
    name, version, arch, source, homepage = run(["dpkg-query", "-W", "-f", fields, package]).split("\t")
    return {"name": name, "version": version, "arch": arch, "source": source, "homepage": homepage}


def spdx_id(text):
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]", "-", text)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    build_dir, binary, version, output = sys.argv[1:]
    source_root = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    build_root = os.path.realpath(build_dir)

    def external(path):
        real = os.path.realpath(path)
        return not (real.startswith(source_root + "/") or real.startswith(build_root + "/"))

    linked = {p for p in link_inputs(build_dir, "src/tether") if external(p)}
    headers = {p for p in compiled_headers(build_dir) if external(p)}
    file_owners = dpkg_file_owners()
    linked_owners, linked_unowned = owning_packages(linked, file_owners)
    header_owners, header_unowned = owning_packages(headers, file_owners)
    if linked_unowned or header_unowned:
        sys.exit("sbom.py: no Debian package ships " + ", ".join(sorted(linked_unowned + header_unowned)))

    with open(binary, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    debian = open("/etc/debian_version").read().strip().split(".")[0]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or int(datetime.datetime.now().timestamp())
    created = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    tether_id = "SPDXRef-Package-tether"
    packages = [{
        "SPDXID": tether_id,
        "name": "tether",
        "versionInfo": version,
        "supplier": "Organization: tether maintainers",
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "checksums": [{"algorithm": "SHA256", "checksumValue": digest}],
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "Apache-2.0",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "APPLICATION",
        "comment": "the static, stripped /usr/bin/tether",
    }]
    relationships = [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                      "relatedSpdxElement": tether_id}]
    for package in sorted(set(linked_owners) | set(header_owners)):
        facts = package_facts(package)
        archives = sorted(os.path.basename(p) for p in linked_owners.get(package, ()))
        header_count = len(header_owners.get(package, ()))
        how = []
        if archives:
            how.append("linked: " + ", ".join(archives))
        if header_count:
            how.append(f"{header_count} headers compiled in")
        element = spdx_id("Package-deb-" + package)
        packages.append({
            "SPDXID": element,
            "name": facts["name"],
            "versionInfo": facts["version"],
            "supplier": "Organization: Debian",
            "downloadLocation": "NOASSERTION",
            "homepage": facts["homepage"] or "NOASSERTION",
            "sourceInfo": f"Debian source package {facts['source'] or facts['name']}",
            "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "LIBRARY",
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": f"pkg:deb/debian/{facts['name']}@{facts['version']}"
                                    f"?arch={facts['arch']}&distro=debian-{debian}",
            }],
            "comment": "; ".join(how),
        })
        relationships.append({"spdxElementId": tether_id,
                              "relationshipType": "STATIC_LINK" if archives else "CONTAINS",
                              "relatedSpdxElement": element})

    document = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"tether-{version}",
        "documentNamespace": f"https://tether.example.com/spdx/tether-{version}-{digest[:16]}",
        "creationInfo": {"created": created, "creators": ["Tool: tether packaging/sbom.py"]},
        "packages": packages,
        "relationships": relationships,
    }
    with open(output, "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
