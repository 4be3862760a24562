#!/usr/bin/env python3
"""Checks the deployment manifests under deploy/.

    python3 tests/deploy/check_manifests.py --tether build/src/tether
    python3 tests/deploy/check_manifests.py --static-only     # no binary needed

(--deploy-dir and --containerfile default to this checkout's deploy/ and
packaging/Containerfile; --keep keeps the temporary directory for a look.)

Three layers, each of which fails loudly:

1. Every manifest parses (YAML or JSON), and the Kubernetes ones decode into
   kubectl's own compiled-in API types, offline (`kubectl set ... --local`):
   a misspelt field of a Deployment, StatefulSet, Job or Service, or a value
   of the wrong type in any of them, is an error. The ECS task definition is
   validated against botocore's model of RegisterTaskDefinition, then
   registered in moto and read back; the IAM policies are created in moto.
2. Structure that could be wrong without being invalid: the hardening of
   every pod, where the credentials come from, that the audit trail has a
   writable place, that the NetworkPolicy lets the runner reach only the
   server and DNS, that the server's init Job and StatefulSet agree on the
   volume and the host name, that shutdown grace periods outlast the
   runner's drain, that the image (packaging/Containerfile) brings the
   directory Fargate and Cloud Run give the audit trail, and so on.
3. With --tether, the manifests are run: the init Job's command and
   environment initialise a data dir, the StatefulSet's start a real server
   (on 127.0.0.1 and free ports), its probes are requested, a runner is
   created and its credentials generated as the READMEs say, the Secret
   that `generate-credentials --output-format k8s-secret` prints is checked
   against what the Deployment refers to, and each platform's runner
   (Kubernetes, ECS with the secret resolved through moto's Secrets
   Manager, Cloud Run, Container Apps) is started with that platform's
   arguments and environment until it reports `tunnel up` and runs
   system.info. `--print-config` confirms that every TETHER_ variable the
   manifests set is one tether reads (a misspelt one is otherwise ignored).

What the harness changes when it runs a manifest, and only that: paths in
the container are placed under a temporary directory, listen addresses
become 127.0.0.1:0, the runner is pointed at the test server with
TETHER_TUNNEL_ENDPOINT (tether.example.com does not resolve here), and logs
are JSON.

The last line is "N passed, N failed"; the exit status is 0 only when
nothing failed (2 for a usage error).
"""

from __future__ import annotations

import argparse
import base64
import ipaddress
import json
import os
import re
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

# What the manifests are written for.
IMAGE_SUFFIX = "example/tether:0.1.0"  # ghcr.io/example/tether:0.1.0, or a mirror of it
RUNNER_UID = 65532
MEASURED_IDLE_RSS = 9.3 * 1024 * 1024  # bench/RESULTS.md: a connected, idle runner
SECRET_PREFIX = "tether-runner-"  # generate-credentials' Secret: tether-runner-<runner>
SECRET_KEY = "credentials.json"  # ... holding the file under this key
DEFAULT_AUDIT_MAX_SIZE = 10485760  # docs/configuration.md: audit.max_size
DEFAULT_AUDIT_KEEP = 5  # docs/configuration.md: audit.keep
DEFAULT_DRAIN = 30.0  # docs/configuration.md: drain_timeout, seconds
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet", "Pod", "CronJob"}
HARNESS_ENV = "TETHER_DEPLOY_CHECK"


class Failure(Exception):
    """A check found something wrong; the message says what."""


def require(condition, message):
    if not condition:
        raise Failure(message)


# --------------------------------------------------------------------------
# Reporting


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, function, *args, **kwargs):
        try:
            function(*args, **kwargs)
        except Failure as failure:
            self.failed += 1
            print(f"FAIL  {name}")
            for line in str(failure).splitlines():
                print(f"      {line}")
            return False
        except Exception:  # a bug in a check, or a tool missing: still a failure, with the trace
            self.failed += 1
            print(f"FAIL  {name} (error)")
            for line in traceback.format_exc().rstrip().splitlines():
                print(f"      {line}")
            return False
        self.passed += 1
        print(f"ok    {name}")
        return True

    def fail(self, name, message):
        self.check(name, lambda: (_ for _ in ()).throw(Failure(message)))


# --------------------------------------------------------------------------
# Small parsers


def parse_quantity(text) -> float:
    """A Kubernetes quantity (32Mi, 0.5Gi, 10m, 1) as a number of units."""
    text = str(text).strip()
    suffixes = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4,
                "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "m": 1e-3}
    for suffix, factor in sorted(suffixes.items(), key=lambda item: -len(item[0])):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def parse_duration(text) -> float:
    """tether's durations (30s, 500ms, 1h30m, 2d) in seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", str(text))
    require(parts and "".join(n + u for n, u in parts) == str(text), f"not a duration: {text!r}")
    return sum(float(n) * units[u] for n, u in parts)


def host_port(text):
    host, _, port = str(text).rpartition(":")
    require(host and port.isdigit(), f"not host:port: {text!r}")
    return host.strip("[]"), int(port)


def iam_pattern_matches(pattern, value):
    """IAM's wildcards: * is any run of characters, ? exactly one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def dig(document, *keys, default=None):
    for key in keys:
        if isinstance(document, dict) and key in document:
            document = document[key]
        elif isinstance(document, list) and isinstance(key, int) and key < len(document):
            document = document[key]
        else:
            return default
    return document


# --------------------------------------------------------------------------
# The manifests


class Manifests:
    """Every .yaml/.yml/.json file under deploy/, parsed."""

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[str, list] = {}
        self.errors: dict[str, str] = {}
        import yaml  # PyYAML: comes with moto; Debian's python3-yaml otherwise

        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix not in (".yaml", ".yml", ".json"):
                continue
            relative = path.relative_to(root).as_posix()
            try:
                text = path.read_text(encoding="utf-8")
                if path.suffix == ".json":
                    documents = [json.loads(text)]
                else:
                    documents = [d for d in yaml.safe_load_all(text) if d is not None]
                self.files[relative] = documents
            except Exception as error:  # reported by the parse check
                self.errors[relative] = f"{type(error).__name__}: {error}"

    def documents(self, prefix=""):
        for relative, documents in self.files.items():
            if relative.startswith(prefix):
                for document in documents:
                    yield relative, document

    def kubernetes(self):
        return [(r, d) for r, d in self.documents("kubernetes/") if isinstance(d, dict)]

    def one(self, prefix, kind, name=None):
        found = [(r, d) for r, d in self.documents(prefix)
                 if isinstance(d, dict) and d.get("kind") == kind
                 and (name is None or dig(d, "metadata", "name") == name)]
        what = f"{kind}{' ' + name if name else ''} under deploy/{prefix}"
        require(found, f"no {what}")
        require(len(found) == 1, f"more than one {what}: {[r for r, _ in found]}")
        return found[0][1]

    def file(self, relative):
        require(relative in self.files, f"deploy/{relative} is missing or did not parse")
        return self.files[relative][0]


def containers_of(pod_spec, where):
    containers = pod_spec.get("containers") or []
    require(len(containers) == 1, f"{where}: expected exactly one container, found {len(containers)}")
    return containers[0]


def pod_spec_of(document):
    if document.get("kind") == "CronJob":
        return dig(document, "spec", "jobTemplate", "spec", "template", "spec")
    return dig(document, "spec", "template", "spec")


def env_list_to_dict(env, where):
    """name -> the env entry; duplicate names are an error (the last one would win silently)."""
    result = {}
    for entry in env or []:
        name = entry.get("name")
        require(name not in result, f"{where}: {name} is set twice")
        result[name] = entry
    return result


def literal_env(env_entries, where, value_key="value"):
    result = {}
    for name, entry in env_entries.items():
        if value_key in entry:
            require(isinstance(entry[value_key], str),
                    f"{where}: {name}'s value must be a string, not {type(entry[value_key]).__name__} "
                    f"({entry[value_key]!r}); quote it")
            result[name] = entry[value_key]
    return result


def audit_bytes(env):
    max_size = int(env.get("TETHER_AUDIT_MAX_SIZE", DEFAULT_AUDIT_MAX_SIZE))
    keep = int(env.get("TETHER_AUDIT_KEEP", DEFAULT_AUDIT_KEEP))
    return max_size * (keep + 1)


def drain_seconds(env):
    return parse_duration(env["TETHER_DRAIN_TIMEOUT"]) if "TETHER_DRAIN_TIMEOUT" in env else DEFAULT_DRAIN


def under(path, directory):
    path, directory = PurePosixPath(path), PurePosixPath(directory)
    return path != directory and directory in path.parents


# --------------------------------------------------------------------------
# Layer 1: parsing, kubectl's types, botocore's model


def check_all_parse(manifests: Manifests):
    require(manifests.files, f"no manifest found under {manifests.root}")
    problems = [f"deploy/{r}: {e}" for r, e in manifests.errors.items()]
    for relative, documents in manifests.files.items():
        if not documents:
            problems.append(f"deploy/{relative}: empty")
        for document in documents:
            if not isinstance(document, dict):
                problems.append(f"deploy/{relative}: a document is a {type(document).__name__}, not a mapping")
    require(not problems, "\n".join(problems))


def diff_dropped(given, decoded, path="") -> list[str]:
    """Keys of `given` that kubectl's typed decoding dropped or changed: unknown fields."""
    problems = []
    if isinstance(given, dict):
        if not isinstance(decoded, dict):
            return [f"{path or '.'}: became {decoded!r}"]
        for key, value in given.items():
            where = f"{path}.{key}"
            if value in (None, {}, []) and key not in decoded:
                continue  # an empty value is left out when encoded again
            if key not in decoded:
                problems.append(f"{where}: not a field of this kind (kubectl dropped it)")
            else:
                problems.extend(diff_dropped(value, decoded[key], where))
    elif isinstance(given, list):
        if not isinstance(decoded, list) or len(decoded) != len(given):
            return [f"{path}: list became {decoded!r}"]
        for index, (a, b) in enumerate(zip(given, decoded)):
            problems.extend(diff_dropped(a, b, f"{path}[{index}]"))
    elif given != decoded and not (isinstance(given, (int, float)) and isinstance(decoded, (int, float))
                                   and float(given) == float(decoded)):
        problems.append(f"{path}: {given!r} became {decoded!r}")
    return problems


def kubectl_decode(kubectl, document, work: Path, label):
    """Decodes one object into kubectl's compiled-in API types, offline.

    Pod-template kinds and Services go through a no-op `kubectl set ... --local`
    whose output is compared with the input: a field kubectl does not know
    is dropped, which the comparison reports. Other kinds only go through the
    typed decoding (a wrong type fails it; an unknown field does not)."""
    work.mkdir(parents=True, exist_ok=True)
    source = work / "object.json"
    source.write_text(json.dumps(document))
    kind = document.get("kind")
    if kind in POD_TEMPLATE_KINDS:
        command = [kubectl, "set", "env", "--local", "-f", str(source), "-o", "json", f"{HARNESS_ENV}=1"]
    elif kind == "Service" and dig(document, "spec", "selector"):
        selector = ",".join(f"{k}={v}" for k, v in document["spec"]["selector"].items())
        command = [kubectl, "set", "selector", "--local", "-f", str(source), "-o", "json", selector]
    else:
        command = [kubectl, "set", "serviceaccount", "--local", "-f", str(source), "-o", "json", "unused"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work),
                               "KUBECONFIG": str(work / "no-kubeconfig")})
    if kind not in POD_TEMPLATE_KINDS and kind != "Service":
        # Decoded into its Go type, then refused only for having no pod template.
        require("unable to decode" not in done.stderr and "pod template" in done.stderr,
                f"{label}: kubectl could not decode it as a {kind}:\n{done.stderr.strip()}")
        return
    require(done.returncode == 0, f"{label}: kubectl could not decode it as a {kind}:\n{done.stderr.strip()}")
    decoded = json.loads(done.stdout)
    if kind in POD_TEMPLATE_KINDS:
        pod = pod_spec_of(decoded) or decoded.get("spec", {})
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            container["env"] = [e for e in container.get("env", []) if e.get("name") != HARNESS_ENV]
            if not container["env"]:
                del container["env"]
    problems = diff_dropped(document, decoded)
    require(not problems, f"{label}: fields kubectl's {kind} type does not have:\n" + "\n".join(problems))


def check_kubectl_types(manifests: Manifests, kubectl, work: Path):
    require(kubectl, "kubectl not found on PATH (scripts/setup-deps installs Debian's kubernetes-client)")
    documents = manifests.kubernetes()
    require(documents, "no Kubernetes manifest under deploy/kubernetes/")
    problems = []
    for index, (relative, document) in enumerate(documents):
        label = f"deploy/{relative} ({document.get('kind')} {dig(document, 'metadata', 'name')})"
        try:
            kubectl_decode(kubectl, document, work / f"k{index}", label)
        except Failure as failure:
            problems.append(str(failure))
    require(not problems, "\n".join(problems))


def check_ecs_botocore(manifests: Manifests):
    import botocore.session
    import botocore.validate

    task = manifests.file("aws-ecs/task-definition.json")
    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    report = botocore.validate.ParamValidator().validate(task, shape)
    require(not report.has_errors(), "botocore refuses the task definition:\n" + report.generate_report())


def moto_environment():
    # moto needs credentials and a region to exist, not to be real.
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"), ("AWS_SECURITY_TOKEN", "testing")):
        os.environ[name] = value
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)


def check_ecs_moto_round_trip(manifests: Manifests):
    import boto3
    from moto import mock_aws

    task = manifests.file("aws-ecs/task-definition.json")
    region = secret_arn_parts(ecs_container(task))["region"]
    moto_environment()
    with mock_aws():
        ecs = boto3.client("ecs", region_name=region)
        registered = ecs.register_task_definition(**task)["taskDefinition"]
        arn = registered["taskDefinitionArn"]
        back = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    problems = []
    for key in ("family", "executionRoleArn", "taskRoleArn", "networkMode", "cpu", "memory",
                "requiresCompatibilities", "volumes"):
        if key in task and back.get(key) != task[key]:
            problems.append(f"{key}: registered {task[key]!r}, read back {back.get(key)!r}")
    given, read = task["containerDefinitions"][0], back["containerDefinitions"][0]
    for key in ("secrets", "environment", "mountPoints", "user", "readonlyRootFilesystem", "command",
                "logConfiguration", "image", "linuxParameters"):
        if key in given and read.get(key) != given[key]:
            problems.append(f"containerDefinitions[0].{key}: registered {given[key]!r}, read back {read.get(key)!r}")
    require(not problems, "the task definition did not survive registration in moto:\n" + "\n".join(problems))


# --------------------------------------------------------------------------
# Layer 2: Kubernetes structure


def check_hardened(pod, container, where, expect_uid=RUNNER_UID):
    problems = []
    pod_sc = pod.get("securityContext") or {}
    sc = container.get("securityContext") or {}

    def either(key):
        return sc.get(key, pod_sc.get(key))

    if either("runAsNonRoot") is not True:
        problems.append("runAsNonRoot is not true")
    if either("runAsUser") != expect_uid:
        problems.append(f"runAsUser is {either('runAsUser')!r}, not {expect_uid} (the image's user)")
    if dig(sc, "seccompProfile", "type", default=dig(pod_sc, "seccompProfile", "type")) != "RuntimeDefault":
        problems.append("seccompProfile.type is not RuntimeDefault")
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if sc.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if sc.get("privileged") is True:
        problems.append("privileged is true")
    if "ALL" not in (dig(sc, "capabilities", "drop") or []):
        problems.append("capabilities.drop does not hold ALL")
    if dig(sc, "capabilities", "add"):
        problems.append(f"capabilities.add: {dig(sc, 'capabilities', 'add')}")
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key):
            problems.append(f"{key} is set")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append("automountServiceAccountToken is not false (no Kubernetes API token unless needed)")
    image = container.get("image", "")
    if not image.endswith(IMAGE_SUFFIX):
        problems.append(f"image {image!r} is not the placeholder …{IMAGE_SUFFIX} the READMEs describe")
    if container.get("command") not in (None, ["/usr/bin/tether"]):
        problems.append(f"command {container.get('command')!r} overrides the image's entrypoint /usr/bin/tether")
    require(not problems, f"{where}: " + "; ".join(problems))


def check_resources(container, where, measured=MEASURED_IDLE_RSS):
    requests = dig(container, "resources", "requests") or {}
    limits = dig(container, "resources", "limits") or {}
    require("memory" in requests and "cpu" in requests, f"{where}: resources.requests needs cpu and memory")
    require("memory" in limits, f"{where}: resources.limits needs memory")
    request, limit = parse_quantity(requests["memory"]), parse_quantity(limits["memory"])
    require(request > measured, f"{where}: a memory request of {requests['memory']} is below the measured idle "
                                f"RSS ({measured / 2**20:.1f} MiB, bench/RESULTS.md)")
    require(limit >= request, f"{where}: memory limit {limits['memory']} is below the request {requests['memory']}")


def runner_deployment(manifests):
    deployment = manifests.one("kubernetes/runner/", "Deployment")
    pod = pod_spec_of(deployment)
    return deployment, pod, containers_of(pod, "runner Deployment")


def runner_name_from_secret(secret_name, where):
    require(secret_name.startswith(SECRET_PREFIX) and len(secret_name) > len(SECRET_PREFIX),
            f"{where}: secret {secret_name!r} is not named {SECRET_PREFIX}<runner> as generate-credentials names it")
    return secret_name[len(SECRET_PREFIX):]


def k8s_credentials_ref(manifests):
    deployment, pod, container = runner_deployment(manifests)
    env = env_list_to_dict(container.get("env"), "runner Deployment")
    require("TETHER_CREDENTIALS" not in env,
            "runner Deployment: TETHER_CREDENTIALS (a file) is set; a Secret volume gets group bits from "
            "fsGroup or is root-owned, and the runner refuses both: use TETHER_CREDENTIALS_JSON")
    entry = env.get("TETHER_CREDENTIALS_JSON")
    require(entry, "runner Deployment: no TETHER_CREDENTIALS_JSON")
    ref = dig(entry, "valueFrom", "secretKeyRef")
    require(ref, "runner Deployment: TETHER_CREDENTIALS_JSON does not come from a secretKeyRef")
    require(not ref.get("optional"),
            "runner Deployment: the secretKeyRef is optional: a missing Secret must stop the pod")
    return ref["name"], ref["key"]


def check_runner_deployment(manifests):
    deployment, pod, container = runner_deployment(manifests)
    check_hardened(pod, container, "runner Deployment")
    check_resources(container, "runner Deployment")
    require(not container.get("ports"), "runner Deployment: the runner opens no port, yet ports are declared")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        require(probe not in container, f"runner Deployment: a {probe} on a process that listens on nothing")
    require(container.get("args") == ["runner"], f"runner Deployment: args {container.get('args')!r}, not [runner]")
    selector = dig(deployment, "spec", "selector", "matchLabels") or {}
    labels = dig(deployment, "spec", "template", "metadata", "labels") or {}
    require(selector and all(labels.get(k) == v for k, v in selector.items()),
            "runner Deployment: its selector does not match its pod labels")
    name, key = k8s_credentials_ref(manifests)
    require(key == SECRET_KEY,
            f"runner Deployment: secretKeyRef key {key!r}; generate-credentials writes {SECRET_KEY!r}")
    runner_name_from_secret(name, "runner Deployment")


def check_audit_volume(pod, container, env, where):
    require("TETHER_AUDIT_PATH" in env,
            f"{where}: TETHER_AUDIT_PATH is not set; with credentials from the environment the runner "
            "has no file to put the audit trail beside and refuses to start")
    path = env["TETHER_AUDIT_PATH"]
    mounts = [m for m in container.get("volumeMounts") or [] if under(path, m["mountPath"])]
    require(mounts, f"{where}: {path} is on the read-only root file system, not on a mounted volume")
    mount = mounts[0]
    require(not mount.get("readOnly"), f"{where}: the volume at {mount['mountPath']} is mounted read-only")
    volume = next((v for v in pod.get("volumes") or [] if v["name"] == mount["name"]), None)
    require(volume, f"{where}: no volume named {mount['name']}")
    if "emptyDir" in volume:
        limit = dig(volume, "emptyDir", "sizeLimit")
        require(limit, f"{where}: the audit emptyDir has no sizeLimit")
        need = audit_bytes(env)
        require(parse_quantity(limit) >= need,
                f"{where}: emptyDir sizeLimit {limit} is smaller than the audit trail may grow "
                f"(audit.max_size x (audit.keep + 1) = {need} bytes); the pod would be evicted")
    else:
        require("persistentVolumeClaim" in volume, f"{where}: the audit volume is neither an emptyDir nor a claim")


def check_runner_env(manifests):
    _, pod, container = runner_deployment(manifests)
    env = literal_env(env_list_to_dict(container.get("env"), "runner Deployment"), "runner Deployment")
    check_audit_volume(pod, container, env, "runner Deployment")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    require(grace > drain_seconds(env), f"runner Deployment: terminationGracePeriodSeconds {grace} does not "
                                        f"outlast the runner's drain_timeout ({drain_seconds(env)} s)")
    for name in env:
        require(name.startswith(("TETHER_", "HTTPS_PROXY", "NO_PROXY", "https_proxy", "no_proxy", "AWS_")),
                f"runner Deployment: {name} is not a setting the runner reads")


def check_runner_service_account(manifests):
    deployment, pod, _ = runner_deployment(manifests)
    account = manifests.one("kubernetes/runner/", "ServiceAccount")
    require(pod.get("serviceAccountName") == dig(account, "metadata", "name"),
            f"runner Deployment uses ServiceAccount {pod.get('serviceAccountName')!r}, the manifest defines "
            f"{dig(account, 'metadata', 'name')!r}")
    require(dig(account, "metadata", "namespace") == dig(deployment, "metadata", "namespace"),
            "the ServiceAccount and the Deployment are in different namespaces")
    annotations = dig(account, "metadata", "annotations") or {}
    for key, shape in (("eks.amazonaws.com/role-arn", r"arn:aws[\w-]*:iam::\d{12}:role/.+"),
                       ("iam.gke.io/gcp-service-account", r"[^@]+@[^@]+\.iam\.gserviceaccount\.com"),
                       ("azure.workload.identity/client-id", r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")):
        require(key in annotations, f"ServiceAccount: no {key} annotation")
        require(re.fullmatch(shape, str(annotations[key])),
                f"ServiceAccount: {key} = {annotations[key]!r} has not the shape {shape}")
    labels = dig(deployment, "spec", "template", "metadata", "labels") or {}
    require(labels.get("azure.workload.identity/use") == "true",
            'runner pods lack the label azure.workload.identity/use: "true" (a string) that Azure Workload '
            "Identity needs")


def check_namespaces(manifests):
    problems = []
    for directory in ("kubernetes/runner/", "kubernetes/server/"):
        declared = {dig(d, "metadata", "name") for _, d in manifests.documents(directory)
                    if isinstance(d, dict) and d.get("kind") == "Namespace"}
        require(len(declared) == 1, f"deploy/{directory} declares {len(declared)} Namespaces, not 1")
        for relative, document in manifests.documents(directory):
            if isinstance(document, dict) and document.get("kind") != "Namespace":
                namespace = dig(document, "metadata", "namespace")
                if namespace not in declared:
                    problems.append(f"deploy/{relative}: {document.get('kind')} in namespace {namespace!r}, "
                                    f"not {sorted(declared)}")
    require(not problems, "\n".join(problems))


def server_parts(manifests):
    statefulset = manifests.one("kubernetes/server/", "StatefulSet")
    job = manifests.one("kubernetes/server/", "Job")
    server_pod, job_pod = pod_spec_of(statefulset), pod_spec_of(job)
    server = containers_of(server_pod, "server StatefulSet")
    init = containers_of(job_pod, "init Job")
    server_env = literal_env(env_list_to_dict(server.get("env"), "server StatefulSet"), "server StatefulSet")
    init_env = literal_env(env_list_to_dict(init.get("env"), "init Job"), "init Job")
    return statefulset, job, server_pod, job_pod, server, init, server_env, init_env


def public_tunnel(manifests):
    server_env = server_parts(manifests)[6]
    require("TETHER_PUBLIC_TUNNEL_ADDRESS" in server_env,
            "server StatefulSet: no TETHER_PUBLIC_TUNNEL_ADDRESS (credentials files would name the pod's address)")
    return host_port(server_env["TETHER_PUBLIC_TUNNEL_ADDRESS"])


def data_mount(pod, container, where):
    env = literal_env(env_list_to_dict(container.get("env"), where), where)
    require("TETHER_DATA_DIR" in env, f"{where}: no TETHER_DATA_DIR")
    data_dir = env["TETHER_DATA_DIR"]
    mounts = [m for m in container.get("volumeMounts") or []
              if under(data_dir, m["mountPath"]) or data_dir == m["mountPath"]]
    require(mounts, f"{where}: the data dir {data_dir} is not on a mounted volume")
    mount = mounts[0]
    require(under(data_dir, mount["mountPath"]),
            f"{where}: the data dir is the volume's root {mount['mountPath']}; a new ext4 volume holds lost+found "
            "there and `server init` refuses a non-empty directory: use a directory under it")
    volume = next((v for v in pod.get("volumes") or [] if v["name"] == mount["name"]), {})
    claim = dig(volume, "persistentVolumeClaim", "claimName")
    require(claim, f"{where}: the data dir's volume is not a PersistentVolumeClaim")
    return data_dir, mount["mountPath"], claim


def check_server(manifests):
    statefulset, job, server_pod, job_pod, server, init, server_env, init_env = server_parts(manifests)
    check_hardened(server_pod, server, "server StatefulSet")
    check_hardened(job_pod, init, "init Job")
    check_resources(server, "server StatefulSet", measured=0)
    require(dig(statefulset, "spec", "replicas") == 1,
            "server StatefulSet: replicas must be 1 (SQLite on one ReadWriteOnce volume)")
    require(server.get("args") == ["server"], f"server StatefulSet: args {server.get('args')!r}, not [server]")
    for pod, where in ((server_pod, "server StatefulSet"), (job_pod, "init Job")):
        sc = pod.get("securityContext") or {}
        if "fsGroup" in sc:
            require(sc.get("fsGroupChangePolicy") == "OnRootMismatch",
                    f"{where}: fsGroup without fsGroupChangePolicy: OnRootMismatch; on every start the kubelet "
                    "would give the group read on master.key, and the server refuses a master.key others can read")
    server_data = data_mount(server_pod, server, "server StatefulSet")
    init_data = data_mount(job_pod, init, "init Job")
    require(server_data == init_data, f"the init Job (data dir, mount, claim {init_data}) and the StatefulSet "
                                      f"({server_data}) do not use the same data dir")
    claim = manifests.one("kubernetes/server/", "PersistentVolumeClaim", server_data[2])
    require("ReadWriteOnce" in (dig(claim, "spec", "accessModes") or []), "the data claim is not ReadWriteOnce")
    require(dig(job_pod, "restartPolicy") == "Never", "init Job: restartPolicy must be Never")
    require(dig(job, "spec", "backoffLimit") == 0,
            "init Job: backoffLimit must be 0 (a retry meets a half-written, non-empty data dir)")
    args = init.get("args") or []
    require(args[:2] == ["server", "init"], f"init Job: args {args!r} do not start with server init")
    require("--hostname" in args and args.index("--hostname") + 1 < len(args), "init Job: no --hostname")
    hostname = args[args.index("--hostname") + 1]
    tunnel_host, _ = public_tunnel(manifests)
    require(hostname == tunnel_host,
            f"init Job: the server certificate is made for {hostname!r}, but credentials files send runners to "
            f"{tunnel_host!r} (TETHER_PUBLIC_TUNNEL_ADDRESS); a runner checks that name")
    if "TETHER_PUBLIC_API_URL" in server_env:
        api_host = re.sub(r"^https://", "", server_env["TETHER_PUBLIC_API_URL"]).split(":")[0].split("/")[0]
        require(api_host == hostname, f"TETHER_PUBLIC_API_URL names {api_host!r}, the certificate {hostname!r}")
    require(init_env.get("TETHER_API_LISTEN") == server_env.get("TETHER_API_LISTEN"),
            "init Job and StatefulSet disagree on TETHER_API_LISTEN (admin.toml gets the Job's port)")


def check_server_network(manifests):
    statefulset, _, _, _, server, _, server_env, _ = server_parts(manifests)
    ports = {p["name"]: p["containerPort"] for p in server.get("ports") or []}
    for name, variable in (("api", "TETHER_API_LISTEN"), ("tunnel", "TETHER_TUNNEL_LISTEN")):
        require(variable in server_env, f"server StatefulSet: no {variable}")
        host, port = host_port(server_env[variable])
        require(host in ("0.0.0.0", "::"),
                f"server StatefulSet: {variable} listens on {host}, unreachable from the Service")
        require(ports.get(name) == port,
                f"server StatefulSet: {variable} is port {port}, container port {name!r} is {ports.get(name)}")
    labels = dig(statefulset, "spec", "template", "metadata", "labels") or {}
    services = [d for _, d in manifests.documents("kubernetes/server/")
                if isinstance(d, dict) and d.get("kind") == "Service"]
    require(services, "no Service for the server")
    governing = [s for s in services if dig(s, "metadata", "name") == dig(statefulset, "spec", "serviceName")]
    require(governing and dig(governing[0], "spec", "clusterIP") == "None",
            f"server StatefulSet: serviceName {dig(statefulset, 'spec', 'serviceName')!r} is not a headless "
            "Service here")
    _, tunnel_port = public_tunnel(manifests)
    exposed = False
    for service in services:
        name = dig(service, "metadata", "name")
        selector = dig(service, "spec", "selector") or {}
        require(selector and all(labels.get(k) == v for k, v in selector.items()),
                f"Service {name}: its selector {selector} does not select the server's pods {labels}")
        for port in dig(service, "spec", "ports") or []:
            target = port.get("targetPort", port.get("port"))
            require(target in ports or target in ports.values(),
                    f"Service {name}: targetPort {target!r} is not a port of the server container {ports}")
            balanced = dig(service, "spec", "type") == "LoadBalancer"
            if balanced and port["port"] == tunnel_port and target in ("tunnel", ports.get("tunnel")):
                exposed = True
    require(exposed,
            f"no LoadBalancer Service exposes the tunnel on port {tunnel_port}, the port credentials files name")
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = server.get(probe_name)
        if probe is None:
            require(probe_name == "startupProbe", f"server StatefulSet: no {probe_name}")
            continue
        get = probe.get("httpGet") or {}
        require(get.get("scheme") == "HTTPS",
                f"server StatefulSet: {probe_name} is not HTTPS (the API speaks only TLS)")
        require(get.get("port") in ("api", ports.get("api")),
                f"server StatefulSet: {probe_name} is not on the API port")
        expected = "/readyz" if probe_name == "readinessProbe" else "/healthz"
        require(get.get("path") == expected, f"server StatefulSet: {probe_name} asks {get.get('path')}, not {expected}")
    grace = pod_spec_of(statefulset).get("terminationGracePeriodSeconds", 30)
    require(grace >= 30, "server StatefulSet: less than 30 s to let API requests finish (30 s read/write limits)")


def check_network_policy(manifests):
    deployment, _, _ = runner_deployment(manifests)
    policy = manifests.file("kubernetes/runner/20-networkpolicy.yaml")
    require(policy.get("kind") == "NetworkPolicy", "20-networkpolicy.yaml is not a NetworkPolicy")
    labels = dig(deployment, "spec", "template", "metadata", "labels") or {}
    selector = dig(policy, "spec", "podSelector", "matchLabels") or {}
    require(selector and all(labels.get(k) == v for k, v in selector.items()),
            f"NetworkPolicy: podSelector {selector} does not select the runner pods {labels}")
    types = dig(policy, "spec", "policyTypes") or []
    require("Ingress" in types and "Egress" in types,
            f"NetworkPolicy: policyTypes {types}; both Ingress and Egress are needed")
    require(not dig(policy, "spec", "ingress"), "NetworkPolicy: ingress rules on a runner that listens on nothing")
    egress = dig(policy, "spec", "egress") or []
    require(egress, "NetworkPolicy: no egress rule; the runner could not reach the server")
    _, tunnel_port = public_tunnel(manifests)
    server_ports, dns = set(), set()
    for index, rule in enumerate(egress):
        ports = {(p.get("protocol", "TCP"), p.get("port")) for p in rule.get("ports") or []}
        require(ports, f"NetworkPolicy: egress rule {index} allows every port")
        require(not any("endPort" in p for p in rule.get("ports") or []),
                f"NetworkPolicy: egress rule {index} opens a port range")
        if all(port == 53 for _, port in ports):
            dns |= ports
            continue
        peers = rule.get("to") or []
        require(peers, f"NetworkPolicy: egress rule {index} allows ports {sorted(ports)} to any address")
        for peer in peers:
            block = peer.get("ipBlock")
            require(block and set(peer) == {"ipBlock"},
                    f"NetworkPolicy: egress rule {index} goes to {peer}, not to the server's address")
            network = ipaddress.ip_network(block["cidr"], strict=True)
            require(network.prefixlen >= (24 if network.version == 4 else 64),
                    f"NetworkPolicy: {block['cidr']} is wider than a server's address range")
        require(all(protocol == "TCP" and port in (7443, 8443) for protocol, port in ports),
                f"NetworkPolicy: egress rule {index} allows {sorted(ports)}; the server has TCP 7443 and 8443 only")
        server_ports |= ports
    require(("TCP", tunnel_port) in server_ports, f"NetworkPolicy: the tunnel port {tunnel_port} is not allowed")
    require({("UDP", 53), ("TCP", 53)} <= dns, f"NetworkPolicy: DNS needs UDP and TCP 53, allowed: {sorted(dns)}")


def check_optional_egress(manifests):
    deployment, _, _ = runner_deployment(manifests)
    labels = dig(deployment, "spec", "template", "metadata", "labels") or {}
    for relative, policy in manifests.documents("kubernetes/runner/optional/"):
        require(policy.get("kind") == "NetworkPolicy", f"deploy/{relative}: not a NetworkPolicy")
        selector = dig(policy, "spec", "podSelector", "matchLabels") or {}
        require(selector and all(labels.get(k) == v for k, v in selector.items()),
                f"deploy/{relative}: selects no runner pod")
        require(dig(policy, "spec", "policyTypes") == ["Egress"] and not dig(policy, "spec", "ingress"),
                f"deploy/{relative}: must add egress only")
        for rule in dig(policy, "spec", "egress") or []:
            ports = {p.get("port") for p in rule.get("ports") or []}
            require(ports and ports <= {443, 80},
                    f"deploy/{relative}: opens ports {ports}, not HTTPS (and the metadata server)")


# --------------------------------------------------------------------------
# Layer 2: ECS


def ecs_container(task):
    containers = task.get("containerDefinitions") or []
    require(len(containers) == 1, f"task definition: {len(containers)} containers, expected 1")
    return containers[0]


def secret_arn_parts(container):
    secrets = {s["name"]: s["valueFrom"] for s in container.get("secrets") or []}
    require("TETHER_CREDENTIALS_JSON" in secrets, "task definition: no secret TETHER_CREDENTIALS_JSON")
    arn = secrets["TETHER_CREDENTIALS_JSON"]
    match = re.fullmatch(r"arn:aws[\w-]*:secretsmanager:([\w-]+):(\d{12}):secret:(.+)-([A-Za-z0-9]{6})", arn)
    require(match, f"task definition: TETHER_CREDENTIALS_JSON comes from {arn!r}, not a whole Secrets Manager "
                   "secret's ARN (…:secret:NAME-XXXXXX; no JSON key: the runner wants the whole file)")
    return {"arn": arn, "region": match[1], "account": match[2], "name": match[3]}


def check_ecs_structure(manifests):
    task = manifests.file("aws-ecs/task-definition.json")
    container = ecs_container(task)
    problems = []
    if "FARGATE" not in (task.get("requiresCompatibilities") or []):
        problems.append("requiresCompatibilities lacks FARGATE")
    if task.get("networkMode") != "awsvpc":
        problems.append("networkMode is not awsvpc (Fargate needs it)")
    combinations = {"256": {"512", "1024", "2048"}, "512": {"1024", "2048", "3072", "4096"}}
    if task.get("cpu") in combinations and task.get("memory") not in combinations[task["cpu"]]:
        problems.append(f"cpu {task['cpu']} with memory {task.get('memory')} is not a Fargate size")
    roles = {}
    for key in ("executionRoleArn", "taskRoleArn"):
        match = re.fullmatch(r"arn:aws[\w-]*:iam::(\d{12}):role/.+", task.get(key, ""))
        if not match:
            problems.append(f"{key} {task.get(key)!r} is not an IAM role ARN")
        else:
            roles[key] = match[1]
    if task.get("executionRoleArn") == task.get("taskRoleArn"):
        problems.append("the execution role (reads the secret) and the task role (the runner's own AWS identity) "
                        "are one")
    if container.get("user") not in (f"{RUNNER_UID}:{RUNNER_UID}", str(RUNNER_UID)):
        problems.append(f"user {container.get('user')!r}, not {RUNNER_UID}:{RUNNER_UID}")
    if container.get("readonlyRootFilesystem") is not True:
        problems.append("readonlyRootFilesystem is not true")
    if container.get("privileged"):
        problems.append("privileged")
    if "ALL" not in (dig(container, "linuxParameters", "capabilities", "drop") or []):
        problems.append("linuxParameters.capabilities.drop lacks ALL")
    if container.get("command") != ["runner"] or container.get("entryPoint") not in (None, ["/usr/bin/tether"]):
        problems.append(f"command {container.get('command')!r} / entryPoint {container.get('entryPoint')!r}: "
                        "the image's entrypoint /usr/bin/tether with the command [runner] is expected")
    if container.get("portMappings"):
        problems.append("portMappings on a runner that listens on nothing")
    if not container.get("image", "").endswith(IMAGE_SUFFIX):
        problems.append(f"image {container.get('image')!r} is not the placeholder …{IMAGE_SUFFIX}")
    env = {e["name"]: e["value"] for e in container.get("environment") or []}
    if "TETHER_CREDENTIALS" in env or "TETHER_CREDENTIALS_JSON" in env:
        problems.append("credentials in plain environment; they come from secrets")
    parts = secret_arn_parts(container)
    runner_name_from_secret(parts["name"], "task definition")
    if any(account != parts["account"] for account in roles.values()):
        problems.append(f"the roles' account {roles} is not the secret's {parts['account']}")
    log = container.get("logConfiguration") or {}
    options = log.get("options") or {}
    if log.get("logDriver") != "awslogs" or not {"awslogs-group", "awslogs-region",
                                                   "awslogs-stream-prefix"} <= set(options):
        problems.append("logConfiguration is not awslogs with group, region and stream prefix (Fargate needs the "
                        "prefix)")
    elif options["awslogs-region"] != parts["region"]:
        problems.append(f"logs go to {options['awslogs-region']}, the secret is in {parts['region']}")
    if "TETHER_AUDIT_PATH" not in env:
        problems.append("TETHER_AUDIT_PATH is not set (required with credentials from the environment)")
    else:
        mounts = [m for m in container.get("mountPoints") or [] if under(env["TETHER_AUDIT_PATH"], m["containerPath"])]
        volumes = {v["name"]: v for v in task.get("volumes") or []}
        if not mounts:
            problems.append(f"{env['TETHER_AUDIT_PATH']} is on the read-only root file system, not on a mount point")
        elif mounts[0].get("readOnly"):
            problems.append("the audit mount point is read-only")
        elif mounts[0]["sourceVolume"] not in volumes:
            problems.append(f"mount point volume {mounts[0]['sourceVolume']!r} is not declared")
        elif set(volumes[mounts[0]["sourceVolume"]]) - {"name"}:
            problems.append("the audit volume is not a plain Fargate bind mount (task storage)")
    stop = container.get("stopTimeout", 30)
    if not drain_seconds(env) < stop <= 120:
        problems.append(f"stopTimeout {stop} must outlast the runner's drain ({drain_seconds(env)} s) and be at "
                        "most 120")
    require(not problems, "task definition: " + "\n".join(problems))


def check_ecs_iam(manifests):
    import boto3
    from moto import mock_aws

    task = manifests.file("aws-ecs/task-definition.json")
    parts = secret_arn_parts(ecs_container(task))
    policy = manifests.file("aws-ecs/execution-role-policy.json")
    trust = manifests.file("aws-ecs/ecs-tasks-trust-policy.json")
    statements = policy.get("Statement") or []
    require(len(statements) == 1, "execution-role-policy.json: one statement expected, for the one secret")
    statement = statements[0]
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else actions
    require(statement.get("Effect") == "Allow" and actions == ["secretsmanager:GetSecretValue"],
            f"execution-role-policy.json: allows {actions}, not just secretsmanager:GetSecretValue")
    resources = statement.get("Resource")
    resources = [resources] if isinstance(resources, str) else resources
    require(all("*" not in r.split(":secret:")[0] for r in resources),
            "execution-role-policy.json: a wildcard region or account")
    require(any(iam_pattern_matches(r, parts["arn"]) for r in resources),
            f"execution-role-policy.json: {resources} does not match the task definition's secret {parts['arn']}")
    other = parts["arn"].replace(parts["name"], parts["name"] + "-other")
    require(not any(iam_pattern_matches(r, other) for r in resources),
            "execution-role-policy.json: also matches other secrets whose names start the same")
    principal = dig(trust, "Statement", 0, "Principal", "Service")
    require(principal == "ecs-tasks.amazonaws.com", f"ecs-tasks-trust-policy.json: principal {principal!r}")
    source_account = dig(trust, "Statement", 0, "Condition", "StringEquals", "aws:SourceAccount")
    require(source_account in (None, parts["account"]),
            f"ecs-tasks-trust-policy.json: aws:SourceAccount {source_account}")
    moto_environment()
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_policy(PolicyName="tether-runner-execution", PolicyDocument=json.dumps(policy))
        for role in ("tether-runner-execution", "tether-runner-task"):
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))


# --------------------------------------------------------------------------
# Layer 2: Cloud Run and Container Apps


def cloud_run(manifests):
    pool = manifests.file("gcp-cloud-run/worker-pool.yaml")
    require(pool.get("apiVersion") == "run.googleapis.com/v1" and pool.get("kind") == "WorkerPool",
            f"worker-pool.yaml is a {pool.get('apiVersion')} {pool.get('kind')}, not a run.googleapis.com/v1 "
            "WorkerPool")
    spec = dig(pool, "spec", "template", "spec") or {}
    return pool, spec, containers_of(spec, "worker pool")


def check_cloud_run(manifests):
    pool, spec, container = cloud_run(manifests)
    problems = []
    annotations = dig(pool, "metadata", "annotations") or {}
    for key, value in annotations.items():
        if not isinstance(value, str):
            problems.append(f"annotation {key} is a {type(value).__name__}; annotations are strings")
    if annotations.get("run.googleapis.com/scalingMode") != "manual":
        problems.append("run.googleapis.com/scalingMode is not manual")
    count = annotations.get("run.googleapis.com/manualInstanceCount")
    if not (isinstance(count, str) and count.isdigit() and int(count) >= 1):
        problems.append(f"run.googleapis.com/manualInstanceCount {count!r}: at least one instance must run")
    if not dig(pool, "metadata", "labels", "cloud.googleapis.com/location"):
        problems.append("no cloud.googleapis.com/location label")
    if not re.fullmatch(r"[^@]+@[^@]+\.iam\.gserviceaccount\.com", spec.get("serviceAccountName", "")):
        problems.append(f"serviceAccountName {spec.get('serviceAccountName')!r} is not a service account's email")
    if container.get("ports"):
        problems.append("ports on a runner that listens on nothing")
    if container.get("args") != ["runner"] or container.get("command") not in (None, ["/usr/bin/tether"]):
        problems.append(f"args {container.get('args')!r}, command {container.get('command')!r}: expected args [runner]")
    if not container.get("image", "").endswith(IMAGE_SUFFIX):
        problems.append(f"image {container.get('image')!r} is not a mirror of the placeholder …{IMAGE_SUFFIX}")
    entries = env_list_to_dict(container.get("env"), "worker pool")
    env = literal_env(entries, "worker pool")
    ref = dig(entries.get("TETHER_CREDENTIALS_JSON", {}), "valueFrom", "secretKeyRef")
    if not ref:
        problems.append("TETHER_CREDENTIALS_JSON does not come from a Secret Manager secretKeyRef")
    else:
        runner_name_from_secret(ref.get("name", ""), "worker pool")
        if not (isinstance(ref.get("key"), str) and ref["key"].isdigit()):
            problems.append(f"secretKeyRef key {ref.get('key')!r}: pin a version (a string of digits); an env "
                            "secret is read once per instance")
    if "TETHER_CREDENTIALS" in env:
        problems.append("TETHER_CREDENTIALS set: Cloud Run's secret volumes are owned by root, which the runner "
                        "cannot use")
    memory = parse_quantity(dig(container, "resources", "limits", "memory", default="512Mi"))
    if memory < 512 * 2**20:
        problems.append("memory below Cloud Run's 512 MiB minimum")
    if "TETHER_AUDIT_PATH" not in env:
        problems.append("TETHER_AUDIT_PATH is not set")
    elif audit_bytes(env) > memory / 8:
        problems.append(f"the audit trail may reach {audit_bytes(env)} bytes of the in-memory file system, over an "
                        f"eighth of the {memory:.0f}-byte memory limit: lower TETHER_AUDIT_MAX_SIZE / "
                        "TETHER_AUDIT_KEEP")
    if drain_seconds(env) >= 10:
        problems.append(f"drain_timeout {drain_seconds(env)} s: Cloud Run kills an instance 10 s after SIGTERM")
    require(not problems, "worker pool: " + "\n".join(problems))


def container_app(manifests):
    app = manifests.file("azure-container-apps/containerapp.yaml")
    template = dig(app, "properties", "template") or {}
    return app, template, containers_of(template, "container app")


def check_container_app(manifests):
    app, template, container = container_app(manifests)
    problems = []
    unknown = set(app) - {"location", "identity", "properties", "name", "type", "tags"}
    if unknown:
        problems.append(f"top-level keys {sorted(unknown)} are not part of a container app")
    configuration = dig(app, "properties", "configuration") or {}
    if configuration.get("ingress"):
        problems.append("ingress is configured; the runner listens on nothing")
    if not dig(app, "properties", "environmentId"):
        problems.append("no properties.environmentId")
    identities = dig(app, "identity", "userAssignedIdentities") or {}
    if dig(app, "identity", "type") != "UserAssigned" or len(identities) != 1:
        problems.append("identity is not one user-assigned identity (a system-assigned one does not exist yet "
                        "when `az containerapp create` reads the Key Vault secret)")
    secrets = {s.get("name"): s for s in configuration.get("secrets") or []}
    entries = env_list_to_dict(container.get("env"), "container app")
    reference = entries.get("TETHER_CREDENTIALS_JSON", {}).get("secretRef")
    secret = secrets.get(reference)
    if not secret:
        problems.append(f"TETHER_CREDENTIALS_JSON refers to secret {reference!r}, which configuration.secrets lacks")
    else:
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", reference):
            problems.append(f"secret name {reference!r}: lower-case letters, digits and '-' only")
        match = re.fullmatch(r"https://[a-z0-9-]+\.vault\.azure\.net/secrets/([A-Za-z0-9-]+)(/[0-9a-f]{32})?",
                             secret.get("keyVaultUrl", ""))
        if not match:
            problems.append(f"keyVaultUrl {secret.get('keyVaultUrl')!r} is not a Key Vault secret's URL")
        else:
            runner_name_from_secret(match[1], "container app")
        if "value" in secret:
            problems.append("the secret has an inline value besides its Key Vault reference")
        if secret.get("identity") not in identities:
            problems.append(f"the secret is read with identity {secret.get('identity')!r}, not the app's")
    env = literal_env(entries, "container app")
    if container.get("args") != ["runner"] or container.get("command") not in (None, ["/usr/bin/tether"]):
        problems.append(f"args {container.get('args')!r}, command {container.get('command')!r}: expected args [runner]")
    if not container.get("image", "").endswith(IMAGE_SUFFIX):
        problems.append(f"image {container.get('image')!r} is not the placeholder …{IMAGE_SUFFIX}")
    cpu = float(dig(container, "resources", "cpu", default=0))
    memory = parse_quantity(dig(container, "resources", "memory", default="0"))
    if cpu <= 0 or abs(memory - 2 * cpu * 2**30) > 1:
        problems.append(f"cpu {cpu} with memory {dig(container, 'resources', 'memory')}: Consumption sizes pair "
                        "0.25 CPU with 0.5Gi, 0.5 with 1Gi, …")
    if int(dig(template, "scale", "minReplicas", default=0)) < 1:
        problems.append("scale.minReplicas below 1: with no ingress nothing would wake the app")
    grace = template.get("terminationGracePeriodSeconds", 30)
    if grace <= drain_seconds(env):
        problems.append(f"terminationGracePeriodSeconds {grace} does not outlast drain_timeout {drain_seconds(env)} s")
    if "TETHER_AUDIT_PATH" not in env:
        problems.append("TETHER_AUDIT_PATH is not set")
    else:
        mounts = [m for m in container.get("volumeMounts") or []
                  if under(env["TETHER_AUDIT_PATH"], m.get("mountPath", ""))]
        volumes = {v.get("name"): v for v in template.get("volumes") or []}
        if not mounts or volumes.get(mounts[0].get("volumeName"), {}).get("storageType") != "EmptyDir":
            problems.append(f"{env['TETHER_AUDIT_PATH']} is not on an EmptyDir volume")
    require(not problems, "container app: " + "\n".join(problems))


# --------------------------------------------------------------------------
# Layer 2: across platforms


def platform_envs(manifests):
    """Each platform's literal environment for the runner."""
    _, _, k8s = runner_deployment(manifests)
    _, _, run = cloud_run(manifests)
    _, _, aca = container_app(manifests)
    ecs = ecs_container(manifests.file("aws-ecs/task-definition.json"))
    return {
        "kubernetes": literal_env(env_list_to_dict(k8s.get("env"), "runner Deployment"), "runner Deployment"),
        "aws-ecs": {e["name"]: e["value"] for e in ecs.get("environment") or []},
        "gcp-cloud-run": literal_env(env_list_to_dict(run.get("env"), "worker pool"), "worker pool"),
        "azure-container-apps": literal_env(env_list_to_dict(aca.get("env"), "container app"), "container app"),
    }


def secret_names(manifests):
    k8s, _ = k8s_credentials_ref(manifests)
    _, _, run = cloud_run(manifests)
    _, _, aca = container_app(manifests)
    aca_secret_ref = env_list_to_dict(aca.get("env"), "container app")["TETHER_CREDENTIALS_JSON"]["secretRef"]
    app = manifests.file("azure-container-apps/containerapp.yaml")
    aca_secrets = dig(app, "properties", "configuration", "secrets")
    vault_url = next(s["keyVaultUrl"] for s in aca_secrets if s["name"] == aca_secret_ref)
    run_env = env_list_to_dict(run.get("env"), "worker pool")
    return {
        "kubernetes": k8s,
        "aws-ecs": secret_arn_parts(ecs_container(manifests.file("aws-ecs/task-definition.json")))["name"],
        "gcp-cloud-run": run_env["TETHER_CREDENTIALS_JSON"]["valueFrom"]["secretKeyRef"]["name"],
        "azure-container-apps": vault_url.split("/secrets/")[1].split("/")[0],
    }


def check_same_runner_everywhere(manifests):
    names = secret_names(manifests)
    require(len(set(names.values())) == 1, f"the platforms name different secrets: {names}")


def check_same_policy_everywhere(manifests):
    policies = {platform: {k: v for k, v in env.items() if k.startswith("TETHER_POLICY_")}
                for platform, env in platform_envs(manifests).items()}
    first = next(iter(policies.values()))
    require(first.get("TETHER_POLICY_OPERATIONS"), "no TETHER_POLICY_OPERATIONS")
    different = {p: v for p, v in policies.items() if v != first}
    require(not different, f"the runner's policy differs between platforms (the READMEs say it is one):\n"
                           + "\n".join(f"{p}: {v}" for p, v in policies.items()))


def check_readmes(manifests):
    root = manifests.root
    runner = runner_name_from_secret(secret_names(manifests)["kubernetes"], "runner Deployment")
    problems = []
    for directory in ("", "kubernetes", "aws-ecs", "gcp-cloud-run", "azure-container-apps"):
        readme = root / directory / "README.md"
        if not readme.is_file():
            problems.append(f"deploy/{directory}{'/' if directory else ''}README.md is missing")
            continue
        text = readme.read_text(encoding="utf-8")
        if directory:
            for needle in (runner, IMAGE_SUFFIX, "TETHER_CREDENTIALS_JSON"):
                if needle not in text:
                    problems.append(f"{readme.relative_to(root.parent)} does not mention {needle}")
            if not re.search(r"\breplace\b", text, re.IGNORECASE):
                problems.append(f"{readme.relative_to(root.parent)} does not say what to replace")
    require(not problems, "\n".join(problems))


def check_image_directories(manifests, containerfile: Path):
    """Fargate and Cloud Run give the runner no writable directory of their own:
    the image must bring /var/lib/tether-runner, owned by the runner's user,
    and declare it a VOLUME so that Fargate's bind mount copies it, owner
    included."""
    require(containerfile.is_file(), f"{containerfile} not found (--containerfile)")
    text = containerfile.read_text(encoding="utf-8")
    volumes = set()
    for line in text.splitlines():
        line = line.strip()
        if line.upper().startswith("VOLUME"):
            rest = line[len("VOLUME"):].strip()
            volumes |= set(json.loads(rest)) if rest.startswith("[") else set(rest.split())
    owned = set(re.findall(r"^\s*COPY\s+(?:--\S+\s+)*--chown=%d(?::%d)?\s+(?:--\S+\s+)*\S+\s+(\S+)\s*$"
                           % (RUNNER_UID, RUNNER_UID), text, re.MULTILINE))
    task = manifests.file("aws-ecs/task-definition.json")
    container = ecs_container(task)
    env = {e["name"]: e["value"] for e in container.get("environment") or []}
    ecs_mount = next(m["containerPath"] for m in container.get("mountPoints") or []
                     if under(env.get("TETHER_AUDIT_PATH", "/"), m["containerPath"]))
    run_env = platform_envs(manifests)["gcp-cloud-run"]
    run_dir = str(PurePosixPath(run_env["TETHER_AUDIT_PATH"]).parent)
    problems = []
    if ecs_mount not in volumes:
        problems.append(f"no VOLUME {ecs_mount}: Fargate's bind mount there is then owned by root and the runner "
                        "(65532) cannot write its audit trail")
    for directory in sorted({ecs_mount, run_dir}):
        if directory.rstrip("/") not in {o.rstrip("/") for o in owned}:
            problems.append(f"no `COPY --chown={RUNNER_UID}:{RUNNER_UID} <empty dir> {directory}`: the runner "
                            "has nowhere to write its audit trail on Fargate and Cloud Run")
    require(not problems, f"{containerfile}:\n" + "\n".join(problems))


def leaked_secrets(credentials_text, output):
    """Which secret parts of a credentials file appear in some output."""
    credentials = json.loads(credentials_text)
    api_key = credentials.get("api_key", "")
    key_body = "".join(line for line in credentials.get("private_key", "").splitlines() if "-----" not in line)
    found = []
    if api_key and api_key.rsplit("_", 1)[-1] in output:
        found.append("api_key")
    if "PRIVATE KEY" in output or (key_body and key_body[:40] in output.replace("\\n", "").replace("\n", "")):
        found.append("private_key")
    return found


# --------------------------------------------------------------------------
# Layer 3: running the manifests


class Process:
    """A tether process with its stderr in a file, read as JSON log lines."""

    def __init__(self, tether, args, env, directory: Path, name):
        self.name = name
        self.err_path = directory / f"{name}.err"
        self.out_path = directory / f"{name}.out"
        self.process = subprocess.Popen([tether, *args], env=env, cwd=directory, stdin=subprocess.DEVNULL,
                                        stdout=self.out_path.open("wb"), stderr=self.err_path.open("wb"))

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def wait_for_log(self, message, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.stderr().splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("msg") == message:
                    return entry
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        status = self.process.poll()
        state = f"exited {status}" if status is not None else "still running"
        raise Failure(f"{self.name}: no '{message}' log line ({state}); its stderr:\n{self.stderr()[-3000:]}")

    def stop(self, timeout=40.0):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise Failure(f"{self.name}: still running {timeout} s after SIGTERM; killed")
        return self.process.returncode

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Live:
    """A temporary root in which the manifests' containers are played."""

    def __init__(self, tether, manifests: Manifests, work: Path):
        self.tether = tether
        self.manifests = manifests
        self.work = work
        self.processes: list[Process] = []
        self.server = None
        self.api = None
        self.tunnel = None
        self.admin_toml = None
        self.runner = runner_name_from_secret(k8s_credentials_ref(manifests)[0], "runner Deployment")
        self.k8s_secret = None
        self.credentials_json = None

    def root(self, name) -> Path:
        path = self.work / f"{name}-root"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @staticmethod
    def place(root: Path, container_path) -> Path:
        """Where a path in the container lives here."""
        return root / PurePosixPath(container_path).relative_to("/")

    def base_env(self, root: Path):
        return {"PATH": "/usr/bin:/bin", "HOME": str(root), "TETHER_LOG_FORMAT": "json"}

    def run(self, args, env=None, timeout=60):
        return subprocess.run([self.tether, *args], capture_output=True, text=True, timeout=timeout,
                              env=env or self.base_env(self.work), stdin=subprocess.DEVNULL)

    def admin(self, *args, timeout=60):
        require(self.api, "the server did not start")
        return self.run(["admin", "--config", str(self.admin_toml), "--server", f"https://localhost:{self.api[1]}",
                         *args], timeout=timeout)

    def start(self, args, env, name):
        process = Process(self.tether, args, env, self.work, name)
        self.processes.append(process)
        return process

    def close(self):
        for process in self.processes:
            process.kill()

    # The server, as 20-init-job.yaml and 40-statefulset.yaml run it.

    def server_env(self, container, root, listen_here=True):
        env = self.base_env(root)
        env.update(literal_env(env_list_to_dict(container.get("env"), container["name"]), container["name"]))
        if "TETHER_DATA_DIR" in env:
            env["TETHER_DATA_DIR"] = str(self.place(root, env["TETHER_DATA_DIR"]))
        if listen_here:  # whatever the manifest says (or misspells): loopback, free ports
            env["TETHER_API_LISTEN"] = env["TETHER_TUNNEL_LISTEN"] = "127.0.0.1:0"
        env["TETHER_LOG_FORMAT"] = "json"
        return env

    def init_server(self):
        _, job, _, job_pod, _, init, _, _ = server_parts(self.manifests)
        root = self.root("server")
        _, mount, _ = data_mount(job_pod, init, "init Job")
        (self.place(root, mount) / "lost+found").mkdir(parents=True, exist_ok=True)  # as a new ext4 volume has
        # init binds nothing: its TETHER_API_LISTEN only gives admin.toml its port.
        env = self.server_env(init, root, listen_here=False)
        done = self.run(init["args"], env=env)
        require(done.returncode == 0, f"`tether {' '.join(init['args'])}` with the Job's environment exited "
                                      f"{done.returncode}:\n{done.stderr.strip()}")
        data = Path(env["TETHER_DATA_DIR"])
        for name in ("tether.db", "ca.crt", "ca.key", "master.key", "admin.toml"):
            require((data / name).is_file(), f"init wrote no {name} in the data dir")
        for name in ("ca.key", "master.key", "admin.toml", "server.key"):
            mode = stat.S_IMODE((data / name).stat().st_mode)
            require(mode & 0o077 == 0, f"{name} is {oct(mode)} after init")
        require("API key" in done.stdout, "init printed no admin API key")
        self.admin_toml = data / "admin.toml"
        again = self.run(init["args"], env=env)
        require(again.returncode == 78, f"a second run of the init Job exited {again.returncode}, not 78 "
                                        "(it must refuse an initialised data dir)")

    def start_server(self):
        _, _, _, _, server, _, _, _ = server_parts(self.manifests)
        root = self.root("server")
        env = self.server_env(server, root)
        self.server = self.start(server["args"], env, "server")
        self.api = host_port(self.server.wait_for_log("api listening")["address"])
        self.tunnel = host_port(self.server.wait_for_log("tunnel listening")["address"])

    def check_probes(self):
        _, _, _, _, server, _, _, _ = server_parts(self.manifests)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # as the kubelet's HTTPS probes
        for probe_name in ("startupProbe", "livenessProbe", "readinessProbe"):
            path = dig(server, probe_name, "httpGet", "path")
            if not path:
                continue
            url = f"https://127.0.0.1:{self.api[1]}{path}"
            try:
                with urllib.request.urlopen(url, context=context, timeout=10) as answer:
                    status = answer.status
            except urllib.error.HTTPError as error:
                status = error.code
            require(status == 200, f"{probe_name}: GET {path} answered {status}")

    def check_stop_server(self):
        require(self.server, "the server did not start")
        status = self.server.stop()
        require(status == 0, f"the server exited {status} after SIGTERM (a pod's stop); stderr:\n"
                             f"{self.server.stderr()[-2000:]}")

    # Credentials, as the READMEs make them.

    def create_runner(self):
        done = self.admin("runner", "create", self.runner)
        require(done.returncode == 0, f"runner create {self.runner} exited {done.returncode}: {done.stderr.strip()}")

    def check_k8s_secret(self, kubectl):
        import yaml

        done = self.admin("runner", "generate-credentials", self.runner, "--output-format", "k8s-secret")
        require(done.returncode == 0, f"generate-credentials --output-format k8s-secret exited {done.returncode}: "
                                      f"{done.stderr.strip()}")
        secret = yaml.safe_load(done.stdout)
        name, key = k8s_credentials_ref(self.manifests)
        require(secret.get("apiVersion") == "v1" and secret.get("kind") == "Secret",
                f"not a v1 Secret: {secret.get('apiVersion')} {secret.get('kind')}")
        require(dig(secret, "metadata", "name") == name,
                f"generate-credentials {self.runner} prints a Secret named {dig(secret, 'metadata', 'name')!r}; "
                f"the Deployment's secretKeyRef names {name!r}")
        data = secret.get("data") or {}
        require(key in data, f"the Secret holds {sorted(data)}; the Deployment's secretKeyRef reads {key!r}")
        require(secret.get("type", "Opaque") == "Opaque", f"Secret type {secret.get('type')}")
        require(not dig(secret, "metadata", "namespace"),
                "the Secret names a namespace; the README applies it with -n tether-runner")
        require(dig(secret, "metadata", "labels", "app.kubernetes.io/name") == "tether-runner",
                "the Secret lacks its label")
        kubectl_decode(kubectl, secret, self.work / "secret-decode", "the generated Secret")
        text = base64.b64decode(data[key], validate=True).decode()
        credentials = json.loads(text)
        require(credentials.get("runner") == self.runner,
                f"the Secret's credentials are runner {credentials.get('runner')!r}")
        tunnel = server_parts(self.manifests)[6]["TETHER_PUBLIC_TUNNEL_ADDRESS"]
        require(credentials.get("tunnel_endpoint") == tunnel,
                f"the credentials send runners to {credentials.get('tunnel_endpoint')!r}, the StatefulSet says "
                f"{tunnel!r}")
        self.k8s_secret = text

    def make_json_credentials(self):
        done = self.admin("runner", "generate-credentials", self.runner)
        require(done.returncode == 0, f"generate-credentials exited {done.returncode}: {done.stderr.strip()}")
        credentials = json.loads(done.stdout)
        require(credentials.get("runner") == self.runner, "the credentials are another runner's")
        self.credentials_json = done.stdout

    def ecs_secret(self):
        """The secret as ECS would inject it: stored in (moto's) Secrets Manager
        as the README says, read back through the task definition's valueFrom."""
        import boto3
        from moto import mock_aws

        parts = secret_arn_parts(ecs_container(self.manifests.file("aws-ecs/task-definition.json")))
        moto_environment()
        with mock_aws():
            client = boto3.client("secretsmanager", region_name=parts["region"])
            created = client.create_secret(Name=parts["name"], SecretString=self.credentials_json)
            policy = self.manifests.file("aws-ecs/execution-role-policy.json")
            resource = policy["Statement"][0]["Resource"]
            real_arn = created["ARN"].replace(created["ARN"].split(":")[4], parts["account"])
            require(iam_pattern_matches(resource, real_arn),
                    f"execution-role-policy.json's {resource} does not match a real ARN of that secret: {real_arn}")
            return client.get_secret_value(SecretId=parts["name"])["SecretString"]

    # Runners, as each platform runs them.

    def runner_spec(self, platform):
        """(args, literal env, credentials text) of the platform's runner container."""
        envs = platform_envs(self.manifests)
        if platform == "kubernetes":
            require(self.k8s_secret, "no Secret from generate-credentials")
            args = runner_deployment(self.manifests)[2]["args"]
            return args, envs[platform], self.k8s_secret
        if platform == "aws-ecs":
            command = ecs_container(self.manifests.file("aws-ecs/task-definition.json"))["command"]
            return command, envs[platform], self.ecs_secret()
        if platform == "gcp-cloud-run":
            return cloud_run(self.manifests)[2]["args"], envs[platform], self.credentials_json
        return container_app(self.manifests)[2]["args"], envs[platform], self.credentials_json

    def runner_env(self, platform, literal, credentials):
        root = self.root(platform)
        env = self.base_env(root)
        env.update(literal)
        env["TETHER_CREDENTIALS_JSON"] = credentials
        if "TETHER_AUDIT_PATH" in env:
            audit = self.place(root, env["TETHER_AUDIT_PATH"])
            audit.parent.mkdir(parents=True, exist_ok=True)  # the volume, or the image's directory
            env["TETHER_AUDIT_PATH"] = str(audit)
        # tether.example.com does not resolve here: the test server instead.
        env["TETHER_TUNNEL_ENDPOINT"] = f"localhost:{self.tunnel[1]}"
        return env

    def check_runner(self, platform):
        require(self.tunnel and self.server.process.poll() is None, "the server is not running")
        args, literal, credentials = self.runner_spec(platform)
        env = self.runner_env(platform, literal, credentials)
        runner = self.start(args, env, f"runner-{platform}")
        try:
            runner.wait_for_log("tunnel up", timeout=30)
            done = self.admin("op", "run", "--runner", self.runner, "--timeout", "30s", "system.info")
            require(done.returncode == 0, f"system.info through the {platform} runner exited {done.returncode}: "
                                          f"{done.stderr.strip()}\nrunner stderr:\n{runner.stderr()[-2000:]}")
        finally:
            status = runner.stop()
        require(status == 0, f"the {platform} runner exited {status} after SIGTERM; stderr:\n{runner.stderr()[-2000:]}")
        audit = Path(env["TETHER_AUDIT_PATH"])
        require(audit.is_file(), f"the {platform} runner wrote no audit trail at {literal.get('TETHER_AUDIT_PATH')}")
        require(stat.S_IMODE(audit.stat().st_mode) & 0o077 == 0, "the audit trail is readable by others")
        records = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
        require(any(r.get("operation") == "system.info" and r.get("outcome") == "succeeded" for r in records),
                f"the audit trail does not record system.info: {records}")
        require(not leaked_secrets(credentials, runner.stderr()),
                f"the runner's log shows its credentials' {', '.join(leaked_secrets(credentials, runner.stderr()))}")

    def check_settings_known(self):
        """Every TETHER_ variable a manifest sets is a setting the binary reads
        (`--print-config` names the variable it took each value from): a
        misspelt variable is otherwise ignored without a word."""
        server_env, init_env = server_parts(self.manifests)[6:]
        cases = [("server StatefulSet", ["server", "--print-config"], server_env),
                 ("init Job", ["server", "--print-config"], init_env)]  # init takes the server's settings
        secrets = {}
        for platform, env in platform_envs(self.manifests).items():
            cases.append((f"{platform} runner", ["runner", "--print-config"], env))
            secrets[f"{platform} runner"] = self.credentials_json
        problems = []
        for label, args, literal in cases:
            env = self.base_env(self.work)
            env.update(literal)
            if label in secrets:
                env["TETHER_CREDENTIALS_JSON"] = secrets[label]
            done = self.run(args, env=env, timeout=30)
            if done.returncode != 0:
                problems.append(f"{label}: `tether {' '.join(args)}` with its environment exited {done.returncode}: "
                                f"{done.stderr.strip()[:500]}")
                continue
            for name in sorted(literal):
                if name.startswith("TETHER_") and f"env {name}" not in done.stdout:
                    problems.append(f"{label}: {name} is not a setting of `tether {args[0]}` (--print-config does not "
                                    "show it taken from the environment)")
            if label in secrets and leaked_secrets(secrets[label], done.stdout + done.stderr):
                problems.append(f"{label}: --print-config shows the credentials' "
                                f"{', '.join(leaked_secrets(secrets[label], done.stdout + done.stderr))}")
        require(not problems, "\n".join(problems))

    def check_audit_path_needed(self):
        _, literal, credentials = self.runner_spec("kubernetes")
        env = self.runner_env("kubernetes-no-audit", literal, credentials)
        env.pop("TETHER_AUDIT_PATH", None)
        args = runner_deployment(self.manifests)[2]["args"]
        done = self.run(args, env=env, timeout=30)
        require(done.returncode == 78 and "TETHER_AUDIT_PATH" in done.stderr,
                f"without TETHER_AUDIT_PATH the runner exited {done.returncode} ({done.stderr.strip()[:300]}); the "
                "manifests set it because it must refuse to start (exit 78, naming TETHER_AUDIT_PATH)")


# --------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tether", help="the tether binary to run the manifests with")
    parser.add_argument("--static-only", action="store_true", help="only parse and check; run nothing")
    parser.add_argument("--deploy-dir", default=str(Path(__file__).resolve().parents[2] / "deploy"),
                        help="the deploy/ directory (default: the one beside this script's tests/)")
    parser.add_argument("--containerfile",
                        default=str(Path(__file__).resolve().parents[2] / "packaging" / "Containerfile"),
                        help="the image's Containerfile (default: packaging/Containerfile)")
    parser.add_argument("--kubectl", default=shutil.which("kubectl"), help="kubectl (default: from PATH)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (printed) for a look")
    options = parser.parse_args()
    if not options.static_only:
        if not options.tether:
            parser.error("--tether PATH is required (or --static-only)")
        if not (os.path.isfile(options.tether) and os.access(options.tether, os.X_OK)):
            parser.error(f"--tether {options.tether}: not an executable file")
        options.tether = os.path.abspath(options.tether)
    deploy = Path(options.deploy_dir)
    if not deploy.is_dir():
        parser.error(f"--deploy-dir {deploy}: not a directory")

    report = Report()
    try:
        import yaml  # noqa: F401
    except ImportError:
        report.fail("PyYAML importable",
                    f"{sys.executable} cannot import yaml (PyYAML comes with moto; or Debian's python3-yaml)")
        print(f"{report.passed} passed, {report.failed} failed")
        return 1
    manifests = Manifests(deploy)
    work = Path(tempfile.mkdtemp(prefix="tether-deploy-check-"))
    try:
        report.check("every manifest under deploy/ parses", check_all_parse, manifests)
        report.check("Kubernetes manifests decode into kubectl's API types, with no unknown field", check_kubectl_types,
                     manifests, options.kubectl, work / "kubectl")
        report.check("Kubernetes namespaces: one per directory, used by every object in it",
                     check_namespaces, manifests)
        report.check("runner Deployment: hardened pod, args, resources from the measured RSS, credentials from the "
                     "generate-credentials Secret", check_runner_deployment, manifests)
        report.check("runner Deployment: audit trail on a sized emptyDir, grace period beyond the drain",
                     check_runner_env, manifests)
        report.check("runner ServiceAccount: IRSA, GKE and Azure workload identity annotations and pod label",
                     check_runner_service_account, manifests)
        report.check("runner NetworkPolicy: no ingress, egress only to the server's ports and to DNS",
                     check_network_policy, manifests)
        report.check("optional cloud API egress policy adds HTTPS egress only", check_optional_egress, manifests)
        report.check("server: init Job and StatefulSet share the data dir under the volume, hostname matches the "
                     "public tunnel address, hardened, one replica", check_server, manifests)
        report.check("server: listen ports, Services, probes and load balancer agree", check_server_network, manifests)
        report.check("ECS task definition passes botocore's RegisterTaskDefinition model",
                     check_ecs_botocore, manifests)
        report.check("ECS task definition registers in moto and reads back with its secrets and environment",
                     check_ecs_moto_round_trip, manifests)
        report.check("ECS task definition: Fargate, non-root, read-only root, secret ARN, audit bind mount, awslogs",
                     check_ecs_structure, manifests)
        report.check("ECS IAM: the execution role may read exactly that secret; policies accepted by moto's IAM",
                     check_ecs_iam, manifests)
        report.check("Cloud Run worker pool: no port, pinned Secret Manager version in env, sizes, drain < 10 s",
                     check_cloud_run, manifests)
        report.check("Container App: no ingress, Key Vault secret through the user-assigned identity, EmptyDir audit",
                     check_container_app, manifests)
        report.check("every platform uses the same runner's secret", check_same_runner_everywhere, manifests)
        report.check("every platform gives the runner the same policy", check_same_policy_everywhere, manifests)
        report.check("the image provides the runner's audit directory for Fargate and Cloud Run (VOLUME, owner 65532)",
                     check_image_directories, manifests, Path(options.containerfile))
        report.check("each platform has a README naming the runner, the image placeholder and what to replace",
                     check_readmes, manifests)

        if not options.static_only:
            live = Live(options.tether, manifests, work / "live")
            live.work.mkdir(parents=True)
            try:
                if report.check("init Job's command and environment initialise the data dir (and refuse a second run)",
                                live.init_server) and \
                   report.check("StatefulSet's command and environment start the server", live.start_server):
                    report.check("the StatefulSet's probes answer 200", live.check_probes)
                    if report.check(f"tether admin runner create {live.runner}", live.create_runner):
                        report.check("generate-credentials --output-format k8s-secret prints the Secret the Deployment "
                                     "reads (name, key, label) and kubectl decodes it", live.check_k8s_secret,
                                     options.kubectl)
                        report.check("generate-credentials prints the JSON the other platforms store",
                                     live.make_json_credentials)
                        for platform in ("kubernetes", "aws-ecs", "gcp-cloud-run", "azure-container-apps"):
                            report.check(f"{platform}: the runner started as the manifest says connects, runs "
                                         "system.info, records it and stops cleanly on SIGTERM",
                                         live.check_runner, platform)
                        report.check("every TETHER_ variable the manifests set is a setting tether reads "
                                     "(--print-config), and printing it never shows the credentials",
                                     live.check_settings_known)
                        report.check("without TETHER_AUDIT_PATH the same runner refuses to start (why every manifest "
                                     "sets it)", live.check_audit_path_needed)
                    report.check("the server stops cleanly on SIGTERM", live.check_stop_server)
            finally:
                live.close()
    finally:
        if options.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
