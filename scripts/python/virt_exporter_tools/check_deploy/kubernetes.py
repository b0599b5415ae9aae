"""The Kubernetes DaemonSet of deploy/kubernetes: what README.md promises of it.

Parsed with Debian's python3-yaml; the checks are the promises, not a schema: the host's
/run/libvirt folder (not the socket file) mounted read-only, /-/healthy and /-/ready as probes on
the metrics port, a non-root user, a read-only root file system, no privilege escalation, no
capabilities."""

import yaml


def check(path):
    """(ok, description, problems) for the DaemonSet in `path`."""
    description = f"{path}: /run/libvirt folder, probes, non-root, read-only root file system"
    try:
        with open(path) as f:
            documents = [d for d in yaml.safe_load_all(f) if d]
    except (OSError, yaml.YAMLError) as error:
        return False, description, [str(error)]
    sets = [d for d in documents if d.get("kind") == "DaemonSet"]
    if len(sets) != 1:
        return False, description, [f"{len(sets)} DaemonSets, not 1"]
    pod = sets[0]["spec"]["template"]["spec"]
    containers = pod.get("containers", [])
    problems = []
    if len(containers) != 1:
        return False, description, [f"{len(containers)} containers, not 1"]
    container = containers[0]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = [m for m in container.get("volumeMounts", []) if m.get("mountPath") == "/run/libvirt"]
    if not mounts or not mounts[0].get("readOnly"):
        problems.append("no read-only mount at /run/libvirt")
    else:
        host = volumes.get(mounts[0]["name"], {}).get("hostPath", {})
        if host.get("path") != "/run/libvirt" or host.get("type") != "Directory":
            problems.append(f"/run/libvirt is not the host's folder (hostPath {host})")
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
    for probe, path in (("livenessProbe", "/-/healthy"), ("readinessProbe", "/-/ready")):
        get = container.get(probe, {}).get("httpGet", {})
        port = get.get("port")
        if get.get("path") != path or ports.get(port, port) != 9177:
            problems.append(f"{probe} is not GET {path} on 9177 ({get})")
    pod_security = pod.get("securityContext", {})
    security = container.get("securityContext", {})
    if not (pod_security.get("runAsNonRoot") or security.get("runAsNonRoot")):
        problems.append("runAsNonRoot is not set")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if security.get("capabilities", {}).get("drop") != ["ALL"]:
        problems.append("capabilities are not all dropped")
    return not problems, description, problems
