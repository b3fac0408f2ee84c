#!/usr/bin/env python3
"""Moves the diagnostic catalogues from src/MarketingDsl.Core/Checking to Diagnostics/Catalogues.

Checking/ holds only the catalogues of diagnostics (DataWarnings, ModelErrors, RuleErrors, ...) and
TypeText (types as a message names them); the checks themselves live in Binding/. This script
`git mv`s every file of Checking/ (including ones other branches added) to
src/MarketingDsl.Core/Diagnostics/Catalogues/, renames the namespace MarketingDsl.Core.Checking to
MarketingDsl.Core.Diagnostics.Catalogues in every file git knows or would add (src, tests,
benchmarks, tools, docs), keeps each using block sorted (System first), drops a using of a file's
own namespace, and updates README.md's layout line. It is idempotent: a second run changes nothing.

Usage (from anywhere inside the repository, after merging the branches):
    python3 tools/move-checking.py && dotnet build MarketingDsl.sln -c Release
"""
import re
import subprocess
import sys
from pathlib import Path

OLD_NS = "MarketingDsl.Core.Checking"
NEW_NS = "MarketingDsl.Core.Diagnostics.Catalogues"
OLD_DIR = "src/MarketingDsl.Core/Checking"
NEW_DIR = "src/MarketingDsl.Core/Diagnostics/Catalogues"
README_OLD = "Binding/ (names, scopes, the binder) · Checking/ (type and rule diagnostics) ·"
README_NEW = "Binding/ (names, scopes, the binder, the checks) · Diagnostics/Catalogues/ (each stage's codes) ·"


def git(*args, root):
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def move_files(root: Path) -> list[str]:
    old = root / OLD_DIR
    if not old.is_dir():
        return []
    (root / NEW_DIR).mkdir(parents=True, exist_ok=True)
    tracked = set(git("ls-files", "--", OLD_DIR, root=root).splitlines())
    moved = []
    for file in sorted(p for p in old.rglob("*") if p.is_file()):
        rel = file.relative_to(root).as_posix()
        target = root / NEW_DIR / file.relative_to(old)
        if target.exists():
            sys.exit(f"{target.relative_to(root)} exists already: move {rel} by hand")
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in tracked:
            git("mv", rel, target.relative_to(root).as_posix(), root=root)
        else:
            file.rename(target)
        moved.append(rel)
    for folder in sorted((p for p in old.rglob("*") if p.is_dir()), reverse=True):
        folder.rmdir()
    old.rmdir()
    return moved


USING = re.compile(r"^using ([A-Za-z_][\w.]*);\r?\n?$")


def sort_usings(lines: list[str], own_namespace: str | None) -> list[str]:
    """Sorts each run of plain `using A.B;` lines (System first, then ordinal) and drops duplicates
    and a using of the file's own namespace."""
    out, run = [], []

    def flush():
        names = []
        for line in run:
            name = USING.match(line).group(1)
            if name != own_namespace and name not in names:
                names.append(name)
        names.sort(key=lambda n: (not (n == "System" or n.startswith("System.")), n))
        eol = "\r\n" if run and run[0].endswith("\r\n") else "\n"
        out.extend(f"using {n};{eol}" for n in names)
        run.clear()

    for line in lines:
        if USING.match(line):
            run.append(line)
        else:
            if run:
                flush()
            out.append(line)
    if run:
        flush()
    return out


def rewrite(root: Path) -> list[str]:
    try:
        listed = git("grep", "-l", "--untracked", "-F", OLD_NS, "--", ".", root=root).splitlines()
    except subprocess.CalledProcessError:  # nothing found
        listed = []
    changed = []
    pattern = re.compile(r"\b" + re.escape(OLD_NS) + r"\b")
    for rel in listed:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py" and path.name == Path(__file__).name:
            continue
        new = pattern.sub(NEW_NS, text)
        if path.suffix == ".cs":
            match = re.search(r"^namespace ([\w.]+)\s*[;{]", new, re.M)
            lines = new.splitlines(keepends=True)
            new = "".join(sort_usings(lines, match.group(1) if match else None))
        if new != text:
            path.write_text(new, encoding="utf-8", newline="")
            changed.append(rel)
    return changed


def readme(root: Path) -> bool:
    path = root / "README.md"
    text = path.read_text(encoding="utf-8")
    if README_OLD not in text:
        return False
    path.write_text(text.replace(README_OLD, README_NEW), encoding="utf-8", newline="")
    return True


def main() -> None:
    root = Path(git("rev-parse", "--show-toplevel", root=Path(__file__).resolve().parent).strip())
    moved = move_files(root)
    changed = rewrite(root)
    readme_changed = readme(root)
    print(f"moved {len(moved)} file(s) to {NEW_DIR}" + "".join(f"\n  {m}" for m in moved))
    print(f"rewrote {OLD_NS} -> {NEW_NS} in {len(changed)} file(s)" + "".join(f"\n  {c}" for c in changed))
    print("README.md layout line updated" if readme_changed else "README.md layout line already current")
    left = subprocess.run(["git", "grep", "-n", "--untracked", "-F", OLD_NS, "--", "."], cwd=root, capture_output=True, text=True).stdout
    left = "\n".join(l for l in left.splitlines() if not l.startswith("tools/move-checking.py"))
    if left:
        sys.exit("still naming the old namespace:\n" + left)


if __name__ == "__main__":
    main()
