#!/usr/bin/env python3
"""Checks the documentation's shape: README.md stays short, and links lead somewhere.

- README.md has at most 150 lines;
- every relative link in README.md and docs/*.md names a file or directory
  that exists in the repository, and an anchor (`file.md#section`, `#section`)
  names a heading of that Markdown file, as GitHub spells heading anchors.

Links to other sites (http:, https:, mailto:) are not followed.

Usage: check_links.py --root REPO
"""

import argparse
import glob
import os
import re
import sys

README_MAX_LINES = 150
INLINE = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def prose_lines(text):
    """(line number, line) outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.split("\n"), 1):
        opening = FENCE.match(line)
        if opening:
            if fence is None:
                fence = opening.group(1)
                continue
            if opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
                continue
        if fence is None:
            yield number, line


def anchor(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path, cache={}):
    if path not in cache:
        with open(path, encoding="utf-8") as markdown:
            seen = {}
            found = set()
            for _, line in prose_lines(markdown.read()):
                heading = HEADING.match(line)
                if not heading:
                    continue
                slug = anchor(heading.group(1))
                count = seen.get(slug, 0)
                seen[slug] = count + 1
                found.add(slug if count == 0 else f"{slug}-{count}")
        cache[path] = found
    return cache[path]


def check_file(root, path):
    problems = []
    with open(path, encoding="utf-8") as markdown:
        text = markdown.read()
    where = os.path.relpath(path, root)
    for number, line in prose_lines(text):
        line = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "``", line)  # links in inline code are not links
        targets = [m.group(1) for m in INLINE.finditer(line)]
        reference = REFERENCE.match(line)
        if reference:
            targets.append(reference.group(1))
        for target in targets:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue  # another site, or mailto:
            file_part, _, fragment = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            if os.path.relpath(resolved, root).split(os.sep)[0] == "..":
                problems.append(f"{where}:{number}: {target} leads out of the repository")
                continue
            if not os.path.exists(resolved):
                problems.append(f"{where}:{number}: {target}: no such file or directory")
                continue
            if fragment and resolved.endswith(".md") and fragment not in anchors_of(resolved):
                problems.append(f"{where}:{number}: {target}: no heading with anchor #{fragment}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True, help="the repository")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    readme = os.path.join(root, "README.md")
    problems = []
    with open(readme, encoding="utf-8") as text:
        count = len(text.read().rstrip("\n").split("\n"))
    if count > README_MAX_LINES:
        problems.append(f"README.md: {count} lines; keep it to {README_MAX_LINES} and move the rest to docs/")
    files = [readme] + sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    for path in files:
        problems += check_file(root, path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"ok: README.md has {count} lines; the links of {len(files)} files lead somewhere")
    return 0


if __name__ == "__main__":
    sys.exit(main())
