"""``python -m warmupctl.rules --markdown > docs/rules.md`` regenerates the rules reference."""

import sys

from . import RULES, markdown


def main(argv: list[str]) -> int:
    if argv == ["--markdown"]:
        sys.stdout.write(markdown())
        return 0
    if not argv:
        for r in RULES:
            sys.stdout.write(f"{r.id}\t{r.severity}\n")
        return 0
    sys.stderr.write("usage: python -m warmupctl.rules [--markdown]\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
