#!/usr/bin/env python3
"""Checks that the code docs/extending.md quotes is the code that CI compiles and tests.

    check_excerpts.py <markdown> <file>...

An excerpt is a fenced block whose previous non-blank line starts with
"From `docs/extending/<name>`": its lines must appear in that file, contiguous and
identical. Every <file> named on the command line must be quoted at least once, so that an
example cannot drop out of the page unnoticed. Exits 1 naming each excerpt that differs.
"""
import pathlib
import re
import sys

FROM = re.compile(r"^From `(docs/extending/[^`]+)`")


def excerpts(markdown: str):
    """(line number, quoted path, block lines) for every excerpt of the page."""
    lines = markdown.splitlines()
    last_text, i = "", 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            start, i = i, i + 1
            while i < len(lines) and not lines[i].startswith("```"):
                i += 1
            match = FROM.match(last_text)
            if match:
                yield start + 1, match.group(1), lines[start + 1 : i]
            last_text = ""
        elif line.strip():
            last_text = line
        i += 1


def contains(haystack: list, needle: list) -> bool:
    return any(haystack[k : k + len(needle)] == needle for k in range(len(haystack) - len(needle) + 1))


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    page = pathlib.Path(sys.argv[1])
    root = page.resolve().parent.parent  # docs/extending.md -> the repository
    errors, quoted = [], set()
    for line, path, block in excerpts(page.read_text()):
        source = root / path
        if not source.is_file():
            errors.append(f"{page}:{line}: quotes {path}, which does not exist")
            continue
        quoted.add(path)
        if not block or not contains(source.read_text().splitlines(), block):
            errors.append(f"{page}:{line}: this excerpt is not a contiguous part of {path}: copy it again")
    for name in sys.argv[2:]:
        path = f"docs/extending/{pathlib.Path(name).name}"
        if path not in quoted:
            errors.append(f"{page}: never quotes {path} (start the line before a block with \"From `{path}`\")")
    for e in errors:
        print(e)
    print(f"{len(quoted)} files quoted, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
