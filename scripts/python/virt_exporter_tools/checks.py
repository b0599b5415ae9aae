"""A tally of checks that prints one line per check: `ok    …` or `FAIL  …` with indented details."""

import sys


class Checks:
    """Counts passed and failed checks and prints each as it is decided."""

    DETAIL_INDENT = " " * 8

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.passed = 0
        self.failed = 0

    def passes(self, description):
        self.passed += 1
        print(f"ok    {description}", file=self.out)

    def fails(self, description, details=()):
        """Records a failure; each line of each detail is printed indented below it."""
        self.failed += 1
        print(f"FAIL  {description}", file=self.out)
        for detail in details:
            for line in str(detail).split("\n"):
                print(self.DETAIL_INDENT + line, file=self.out)

    def check(self, ok, description, problems=()):
        """Passes when `ok`, else fails with `problems` as its details."""
        if ok:
            self.passes(description)
        else:
            self.fails(description, problems)

    def say(self, text):
        """A line that is not a check (a heading, a note, a skip)."""
        print(text, file=self.out)

    def summary(self):
        return f"{self.passed} passed, {self.failed} failed"
