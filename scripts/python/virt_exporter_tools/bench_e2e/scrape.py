"""HTTP scrapes of /metrics, and what a body holds."""

import gzip
import re
import time
import urllib.request


def fetch(url, gz=False, timeout=30):
    """(status, Content-Encoding, body bytes) of one GET, asking for gzip or identity."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip" if gz else "identity"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return reply.status, reply.headers.get("Content-Encoding", ""), reply.read()


def text_of(encoding, body):
    return (gzip.decompress(body) if encoding == "gzip" else body).decode()


def samples(text):
    """The sample lines of an exposition (no comments, no blank lines)."""
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def sample_value(text, name):
    """The value of the first sample of `name` without labels, or None."""
    for line in samples(text):
        if line.split(" ")[0] == name:
            return float(line.split()[1])
    return None


def metric(url, name):
    """The value of the sample `name` in a plain scrape of `url`, or None."""
    _, encoding, body = fetch(url)
    return sample_value(text_of(encoding, body), name)


def wait_http(url, limit):
    """Whether `url` answered 200 within `limit` seconds (polled every 0.2 s)."""
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            if fetch(url, timeout=10)[0] == 200:
                return True
        except Exception:
            pass
        time.sleep(0.2)
    return False


def warm(url):
    """A few plain and gzip scrapes; failures do not matter."""
    for _ in range(3):
        for gz in (False, True):
            try:
                fetch(url, gz=gz, timeout=60)
            except Exception:
                pass


def body_figures(plain_body, gzip_body, gzip_honoured, n, domains):
    """Sizes and sample counts of one plain and one gzip /metrics body at N running domains."""
    lines = samples(plain_body.decode())
    per_domain = [line for line in lines if line.startswith("libvirt_domain")]
    names = {re.split(r"[{ ]", line, maxsplit=1)[0] for line in lines}
    return {"bytes": len(plain_body), "gzip_bytes": len(gzip_body), "gzip_honoured": gzip_honoured,
            "samples": len(lines), "domain_samples": len(per_domain), "other_samples": len(lines) - len(per_domain),
            "metric_names": len(names), "libvirt_domains": domains,
            "bytes_per_domain": len(plain_body) / n, "gzip_bytes_per_domain": len(gzip_body) / n,
            "samples_per_domain": len(lines) / n}


def bodies(url):
    """One plain and one gzip scrape of `url`: (plain body, gzip body, whether gzip was honoured).
    The plain one must come back unencoded."""
    status, encoding, plain = fetch(url)
    if status != 200 or encoding not in ("", "identity"):
        raise RuntimeError(f"plain scrape of {url}: status {status}, Content-Encoding {encoding!r}")
    status, gzip_encoding, gz = fetch(url, gz=True)
    if status != 200:
        raise RuntimeError(f"gzip scrape of {url}: status {status}")
    return plain, gz, gzip_encoding == "gzip"
