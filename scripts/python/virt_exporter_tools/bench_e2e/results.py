"""The figures of a run: JSON lines of {"n", "exp", "key", "value"} in results.jsonl."""

import json


class Results:
    """Figures by domain count N and by what was measured ("virt", "go", "nginx", "libvirtd")."""

    def __init__(self, path):
        self.path = path

    def record(self, n, exp, values):
        with open(self.path, "a") as f:
            for key, value in values.items():
                f.write(json.dumps({"n": n, "exp": exp, "key": key, "value": value}) + "\n")

    def load(self):
        """{n: {exp: {key: value}}}; a later record of the same key wins."""
        data = {}
        try:
            with open(self.path) as f:
                for line in f:
                    r = json.loads(line)
                    data.setdefault(r["n"], {}).setdefault(r["exp"], {})[r["key"]] = r["value"]
        except FileNotFoundError:
            pass
        return data

    def value(self, n, exp, key, default=None):
        return self.load().get(n, {}).get(exp, {}).get(key, default)
