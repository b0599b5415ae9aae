"""Reading LeakSanitizer's report, and deciding whether leaks grew with the work done."""

import re

SUMMARY = re.compile(r"SUMMARY: AddressSanitizer: (\d+) byte\(s\) leaked in (\d+) allocation\(s\)")
ERROR = re.compile(r"ERROR: AddressSanitizer: (?!.*detected memory leaks)(.*)")


class Report:
    """What one sanitized run's standard error says: bytes and allocations leaked, memory errors."""

    def __init__(self, stderr):
        summary = SUMMARY.search(stderr)
        self.bytes = int(summary.group(1)) if summary else 0
        self.allocations = int(summary.group(2)) if summary else 0
        self.errors = [match.group(1).strip() for match in ERROR.finditer(stderr)]

    def __repr__(self):
        return f"{self.bytes} bytes in {self.allocations} allocations"


def growth(short, long):
    """The leaked allocations and bytes the long run has beyond the short one."""
    return long.allocations - short.allocations, long.bytes - short.bytes


def grows(short, long, tolerance):
    """Whether the long run leaked more allocations than the short one, beyond `tolerance`
    (allocations that depend on timing, such as a thread started in one run and not the other)."""
    return long.allocations - short.allocations > tolerance
