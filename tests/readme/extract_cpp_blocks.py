#!/usr/bin/env python3
"""Extract a Markdown file's ```cpp blocks into translation units that must compile.

    python3 extract_cpp_blocks.py README.md OUTPUT_DIR

Writes OUTPUT_DIR/<stem>_<n>.cpp (one per translation unit) and prints their paths, one a
line, for CMake to compile (tests/readme/CMakeLists.txt: test readme_code_compiles). Files
that no longer correspond to a translation unit are removed.

Every ```cpp block is preceded (blank lines allowed) by a marker, an HTML comment that
GitHub does not show, saying how the block compiles:

    <!-- readme-test: program -->       a complete program: a translation unit of its own
    <!-- readme-test: tu -->            declarations at namespace scope: a translation unit
                                        of its own, which later blocks may extend
    <!-- readme-test: function -->      statements: the body of a new function, appended to
                                        the previous block's translation unit (so it sees
                                        its declarations)
    <!-- readme-test: continue -->      more statements of the previous block's function
    <!-- readme-test: skip: REASON -->  not compiled (say why)

Any mode but skip may add `; before: CODE` (CODE is put before the block, e.g. the user's
own type that the README leaves to the reader: `; before: struct my_state {};`).

A ```cpp block with no marker becomes a translation unit that fails with an #error naming
its line, so that new README code is compiled or knowingly skipped, never forgotten.
"""
import pathlib
import re
import sys

MARKER = re.compile(r"^\s*<!--\s*readme-test:\s*(.*?)\s*-->\s*$")
FENCE_OPEN = re.compile(r"^(\s*)```\s*(\S*)\s*$")
MODES = ("program", "tu", "function", "continue", "skip")


def blocks(lines):
    """Yields (line number of the fence, marker text or None, code)."""
    marker = None
    i = 0
    while i < len(lines):
        line = lines[i]
        found = MARKER.match(line)
        if found:
            marker = found.group(1)
            i += 1
            continue
        fence = FENCE_OPEN.match(line)
        if fence:
            indent, language = fence.group(1), fence.group(2)
            start = i + 1
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                text = lines[i]
                body.append(text[len(indent):] if text.startswith(indent) else text.lstrip())
                i += 1
            if language in ("cpp", "c++", "cxx"):
                yield start, marker, "\n".join(body) + "\n"
            marker = None
            i += 1
            continue
        if line.strip():
            marker = None  # a marker belongs to the block right below it
        i += 1


def main() -> int:
    source = pathlib.Path(sys.argv[1])
    out_dir = pathlib.Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    units = []  # [lines of code, open function or None]
    for line_no, marker, code in blocks(source.read_text(encoding="utf-8").splitlines()):
        where = f"{source.name}:{line_no}"
        if marker is None:
            units.append([[f'#error "{where}: a ```cpp block without a <!-- readme-test: MODE --> marker '
                           f'(modes: {", ".join(MODES)}; see tests/readme/extract_cpp_blocks.py)"\n'], None])
            continue
        mode, _, before = marker.partition(";")
        mode = mode.strip()
        before = before.strip()
        if before.startswith("before:"):
            before = before[len("before:"):].strip() + "\n"
        elif before:
            units.append([[f'#error "{where}: marker \'{marker}\': after the mode only `; before: CODE`"\n'], None])
            continue
        if mode.startswith("skip"):
            continue
        line_directive = f'#line {line_no + 1} "{source.name}"\n'
        if mode in ("program", "tu"):
            units.append([[before, line_directive, code], None])
        elif mode == "function":
            if not units:
                units.append([[], None])
            unit = units[-1]
            if unit[1] is not None:
                unit[0].append("}\n")
            name = f"readme_block_at_line_{line_no}"
            unit[0] += [before, f"[[maybe_unused]] static void {name}() {{\n", line_directive, code]
            unit[1] = name
        elif mode == "continue":
            if not units or units[-1][1] is None:
                units.append([[f'#error "{where}: `continue` but the previous block is not a function"\n'], None])
                continue
            units[-1][0] += [before, line_directive, code]
        else:
            units.append([[f'#error "{where}: unknown mode \'{mode}\' (modes: {", ".join(MODES)})"\n'], None])
    written = []
    for n, (code, open_function) in enumerate(units, start=1):
        if open_function is not None:
            code.append("}\n")
        path = out_dir / f"{source.stem.lower()}_{n}.cpp"
        text = f"// GENERATED from {source.name} by tests/readme/extract_cpp_blocks.py\n" + "".join(code)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    for stale in out_dir.glob(f"{source.stem.lower()}_*.cpp"):
        if stale not in written:
            stale.unlink()
    print("\n".join(str(p) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
