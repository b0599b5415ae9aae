"""Command-line parsing shared by the programs: argparse with one-line errors."""

import argparse
import sys


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose mistakes print one line naming the option, and exit with status 2."""

    def error(self, message):
        print(f"{self.prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)
