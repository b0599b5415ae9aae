"""Facts about this machine and its software, for the document."""

import os
import platform
import subprocess


def output(command):
    """The command's standard output, or "" when it cannot run or fails."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def package_version(package):
    return output(["dpkg-query", "-W", "-f=${Version}", package])


def debian_exporter_version():
    """The version of Debian's prometheus-libvirt-exporter package that scripts/lib/debian-exporter.sh
    unpacked (the file `version` beside the unpacked tree)."""
    binary = output([os.path.join(os.path.dirname(__file__), "..", "..", "..", "lib", "debian-exporter.sh")]).strip()
    try:
        with open(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(binary)))), "version")) as f:
            return f.read().strip()
    except OSError:
        return ""


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def memory():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1048576:.1f} GiB"
    return "unknown"


def virsh_version_line(uri, prefix):
    for line in output(["virsh", "-c", uri, "version"]).splitlines():
        if line.startswith(prefix):
            return line[len(prefix):]
    return ""


def facts(uri):
    """The machine table's facts."""
    capabilities = output(["virsh", "-q", "-c", uri, "capabilities"])
    return {
        "nproc": str(len(os.sched_getaffinity(0))), "cpu_model": cpu_model(), "memory": memory(),
        "kernel": f"{platform.system()} {platform.release()}",
        "libvirt": f"{virsh_version_line(uri, 'Using library: ')} (libvirtd {package_version('libvirt-daemon')})",
        "qemu": f"{virsh_version_line(uri, 'Running hypervisor: ')} ({package_version('qemu-system-x86')})",
        "virt_type": "KVM" if "<domain type='kvm'" in capabilities else "TCG (no usable KVM)",
        "swift": output(["swift", "--version"]).split("\n")[0],
        "wrk": package_version("wrk"), "go_version": debian_exporter_version(),
        "nginx": package_version("nginx-light"),
    }
