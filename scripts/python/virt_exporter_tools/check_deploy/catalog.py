"""The metric names and label names the exporter emits, from `virt-exporter catalog --format json`."""

import json
import re

# Labels Prometheus adds to every series of a target.
TARGET_LABELS = frozenset({"instance", "job"})


class Catalog:
    """Metric names with their label names. Rows whose name holds `<name>` (the KVM statistics mapped
    by rule) match any [a-z0-9_]+ in its place. Prometheus' own `up` is always known."""

    def __init__(self, rows=()):
        self.exact = {"up": set()}
        self.templates = []  # (compiled pattern, label names)
        for row in rows:
            self.add(row["metric"], row.get("labels", []))

    @classmethod
    def from_json_file(cls, path):
        with open(path) as f:
            return cls(json.load(f))

    def add(self, name, labels):
        if "<name>" in name:
            pattern = "".join("[a-z0-9_]+" if part == "<name>" else re.escape(part)
                              for part in re.split(r"(<name>)", name))
            self.templates.append((re.compile(pattern + r"\Z"), set(labels)))
        else:
            self.exact[name] = set(labels)

    def add_recorded(self, name):
        """A recording rule's name counts as a metric, with no labels of its own known."""
        self.exact.setdefault(name, set())

    def labels_of(self, name):
        """The label names the exporter gives `name` (without target labels), or None if it emits no
        such metric."""
        if name in self.exact:
            return self.exact[name]
        found = [labels for regex, labels in self.templates if regex.match(name)]
        if not found:
            return None
        return set().union(*found)

    def every_label(self):
        """Every label name of every metric, target labels included."""
        return set().union(TARGET_LABELS, *self.exact.values(), *(labels for _, labels in self.templates))

    def problems(self, selectors, know_every_metric=True):
        """Problems with the metric names and matcher labels of `selectors` (from promql.selectors).
        An unknown metric is a problem only when the catalog was read (`know_every_metric`)."""
        problems = []
        for name, matchers in selectors:
            if name is None:
                continue
            labels = self.labels_of(name)
            if labels is None:
                if know_every_metric:
                    problems.append(f"unknown metric {name} (not in the exporter's catalog)")
                continue
            allowed = labels | TARGET_LABELS
            for label in matchers:
                if label != "__name__" and label not in allowed:
                    problems.append(f"{name} has no label {label} (it has {', '.join(sorted(allowed))})")
        return problems
