"""Runs promtool: rule files, rule unit tests, and whether PromQL expressions parse."""

import json
import os
import subprocess


def run(arguments):
    """(exit status 0, combined output without trailing newlines) of `promtool ARGUMENTS...`."""
    done = subprocess.run(["promtool", *arguments], capture_output=True, text=True)
    return done.returncode == 0, (done.stdout + done.stderr).rstrip("\n")


def version():
    return run(["--version"])[1].split("\n")[0]


def expressions_parse(items, scratch):
    """Writes `items` (index, PromQL text) as recording rules to a temporary rule file and checks it;
    returns (ok, output)."""
    path = os.path.join(scratch, "expressions.rules.json")
    rules = [{"record": f"check_deploy:expression_{index}", "expr": text} for index, text in items]
    with open(path, "w") as f:
        json.dump({"groups": [{"name": "check-deploy", "rules": rules}]}, f, indent=1)
    return run(["check", "rules", path])


def parse_errors(texts, scratch):
    """(whether all parse, {index: promtool's error lines} of the texts that do not). One promtool
    run for all of them; one per expression only when some fail."""
    ok, _ = expressions_parse(list(enumerate(texts)), scratch)
    errors = {}
    if not ok:
        for index, text in enumerate(texts):
            parses, output = expressions_parse([(index, text)], scratch)
            if not parses:
                errors[index] = [line.strip() for line in output.splitlines()
                                 if line.strip() and not line.startswith("Checking")]
    return ok, errors
