#!/usr/bin/env bash
# Checks that the docs name only things that exist: every repository path in
# backticks or in a relative markdown link in README.md, docs/*.md and
# tests/python/README.md, and every function named right after a path; and that
# docs/PROTOCOL.md begins with the contract (../shared/PROTOCOL.md) verbatim.
#
#   `server/src/sequencer.rs`                      the path must exist
#   `server/src/sequencer.rs:42`                   the `:line` is ignored
#   [the protocol](PROTOCOL.md)                    relative to the doc's folder
#   `server/src/sequencer.rs` `admit_one`          `fn admit_one` must be in the file
#   `server/src/miner.rs` `run`, `mine` and `x`    a list: each one (`def` in .py)
#   `server/src/sequencer.rs` `Sequencer::run`     `fn run`, and the word `Sequencer`
#   `server/src/inbox.rs` `Command`                a type or constant: the word
#   `cargo test -p simplechain-server --test X`    server/tests/X.rs (also --bench)
#
# A path is a word that starts with core/ server/ relay/ cli/ web-client/ tests/
# fuzz/ scripts/ docs/, or a root file (Makefile, Cargo.toml, ...). Words with `*`,
# `<…>` or `…` are patterns, not paths, and are skipped; `{a,b}` is expanded. Build
# output (target/, dist/, fuzz/work/, fuzz/artifacts/, ...) is not checked.
#
# Prints each missing path or function with its doc and line; exits 1 if any.
# Usage: scripts/check-doc-paths.sh [-v] [DOC.md ...]   (run from anywhere; -v lists
# every path and name it checked)
set -euo pipefail
cd "$(dirname "$0")/.."

verbose=0
if [ "${1:-}" = "-v" ]; then
    verbose=1
    shift
fi
if [ "$#" -eq 0 ]; then
    set -- README.md docs/*.md tests/python/README.md
fi

# docs/PROTOCOL.md starts with the contract, ../shared/PROTOCOL.md, word for word
# (checked where shared/ is beside the repository, as in CI).
if [ -f ../shared/PROTOCOL.md ] &&
    ! python3 -c 'import sys; sys.exit(not open("docs/PROTOCOL.md").read().startswith(open("../shared/PROTOCOL.md").read()))'; then
    echo "check-doc-paths: docs/PROTOCOL.md does not start with ../shared/PROTOCOL.md verbatim; copy the contract in and keep our notes below it" >&2
    exit 1
fi

VERBOSE=$verbose exec python3 - "$@" <<'PY'
import os
import re
import sys

PREFIXES = ("core/", "server/", "relay/", "cli/", "web-client/", "tests/",
            "fuzz/", "scripts/", "docs/")
ROOT_FILES = {"Makefile", "Cargo.toml", "Cargo.lock", "index.html", "Trunk.toml",
              "package.json", "package-lock.json", "README.md"}
OUTPUT = ("target/", "dist/", "test-artifacts/", "simplechain-data", "node_modules/",
          "fuzz/work/", "fuzz/artifacts/", "fuzz/target/", "fuzz/coverage/")

SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"!?\[(?:[^\]\n]|\n(?!\n))*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.M)
# What may stand between a path and the functions named after it: `a`, `b` and `c`.
BETWEEN = re.compile(r"\s*(?:,\s*)?(?:(?:and|or)\s+)?")
SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")
WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

problems = []
counts = {"paths": 0, "links": 0, "names": 0, "cargo": 0}
VERBOSE = os.environ.get("VERBOSE") == "1"


def seen(kind, doc, text, offset, what):
    counts[kind] += 1
    if VERBOSE:
        print(f"  {doc}:{line_of(text, offset)}: {what}")


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def split_fences(text):
    """(prose, code): the text with fenced code blocks blanked, and with everything
    but them blanked; both keep the text's length and lines."""
    prose, code, fence = [], [], None
    blank = lambda line: re.sub(r"[^\n]", " ", line)
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        in_code = fence is not None
        if fence is None and stripped[:3] in ("```", "~~~"):
            fence, in_code = stripped[:3], True
        elif fence is not None and stripped.startswith(fence):
            fence = None
        prose.append(blank(line) if in_code else line)
        code.append(line if in_code else blank(line))
    return "".join(prose), "".join(code)


def expand_braces(word):
    m = re.search(r"\{([^{}]*)\}", word)
    if not m:
        return [word]
    out = []
    for part in m.group(1).split(","):
        out += expand_braces(word[:m.start()] + part + word[m.end():])
    return out


def as_path(token):
    """The repository path a word names, or None if it names none."""
    token = token.strip("\"'(")
    token = token.rstrip(".,;:!?)]\"'")
    token = re.sub(r"(?::\d+(?:[-:]\d+)*|#L\d+(?:-L?\d+)?)$", "", token)
    if token.startswith("./"):
        token = token[2:]
    if not (token.startswith(PREFIXES) or token in ROOT_FILES):
        return None
    if any(c in token for c in "*<>…$=") or "..." in token:
        return None
    if token.startswith(OUTPUT) or any("/" + o in "/" + token for o in OUTPUT):
        return None
    return token


def exists(path):
    return os.path.exists(path.rstrip("/") or ".")


def check_names(doc, text, end, path):
    """Functions (and types) named in the spans right after the path at `end`."""
    if not os.path.isfile(path) or not path.endswith((".rs", ".py")):
        return
    try:
        source = open(path, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError):
        return
    keyword = "def" if path.endswith(".py") else "fn"
    pos = end
    while True:
        gap = BETWEEN.match(text, pos)
        nxt = SPAN.match(text, gap.end())
        if not nxt or "\n\n" in text[pos:nxt.start()]:
            return
        name = nxt.group(1).strip()
        if name.endswith("()"):
            name = name[:-2]
        parts = name.split("::")
        if not all(WORD.match(p) for p in parts):
            return
        seen("names", doc, text, nxt.start(), f"{path} `{name}`")
        *owners, last = parts
        missing = []
        if SNAKE.match(last):
            if not re.search(r"\b%s\s+%s\b" % (keyword, re.escape(last)), source):
                missing.append(f"{keyword} {last}")
        elif not re.search(r"\b%s\b" % re.escape(last), source):
            missing.append(last)
        for owner in owners:
            if not re.search(r"\b%s\b" % re.escape(owner), source):
                missing.append(owner)
        if missing:
            problems.append(f"{doc}:{line_of(text, nxt.start())}: {path} has no "
                            + ", no ".join(f"`{m}`" for m in missing))
        pos = nxt.end()


DIRS = {"test": "tests", "bench": "benches"}


def packages():
    """Package name -> (its folder, its [[test]]/[[bench]] targets by name)."""
    found = {}
    for manifest in ["Cargo.toml"] + sorted(
            os.path.join(d, "Cargo.toml") for d in os.listdir(".") if os.path.isdir(d)):
        if not os.path.isfile(manifest):
            continue
        text = open(manifest, encoding="utf-8").read()
        m = re.search(r'^\[package\][^\[]*?^name\s*=\s*"([^"]+)"', text, re.M | re.S)
        if not m:
            continue
        folder = os.path.dirname(manifest) or "."
        targets = {}
        for kind, body in re.findall(r"^\[\[(test|bench)\]\]\n((?:(?!^\[).*\n?)*)", text, re.M):
            name = re.search(r'^name\s*=\s*"([^"]+)"', body, re.M)
            path = re.search(r'^path\s*=\s*"([^"]+)"', body, re.M)
            if name:
                targets[(kind, name.group(1))] = os.path.join(
                    folder, path.group(1) if path else f"{DIRS[kind]}/{name.group(1)}.rs")
        found[m.group(1)] = (folder, targets)
    return found


PACKAGES = packages()
CARGO = re.compile(r"cargo\s+(?:\+\S+\s+)?(test|bench)\b([^`\n]*)")


def check_cargo(doc, text):
    """`cargo test -p PKG --test NAME`: the package and its test (or bench) exist."""
    for m in CARGO.finditer(text):
        args = m.group(2).split()
        package = target = None
        for flag, value in zip(args, args[1:]):
            if flag in ("-p", "--package"):
                package = value
            elif flag == f"--{m.group(1)}":
                target = value
        if package is None:
            continue
        where = f"{doc}:{line_of(text, m.start())}"
        seen("cargo", doc, text, m.start(), f"cargo {m.group(1)} -p {package} "
             + (f"--{m.group(1)} {target}" if target else ""))
        if package not in PACKAGES:
            problems.append(f"{where}: no package {package}")
            continue
        if target is None:
            continue
        folder, targets = PACKAGES[package]
        kind = m.group(1)
        candidates = [targets.get((kind, target)),
                      os.path.join(folder, DIRS[kind], f"{target}.rs"),
                      os.path.join(folder, DIRS[kind], target, "main.rs")]
        if not any(c and os.path.isfile(c) for c in candidates):
            problems.append(f"{where}: package {package} has no {kind} target {target} "
                            f"({folder}/{DIRS[kind]}/{target}.rs)")


def check(doc):
    raw = open(doc, encoding="utf-8").read()
    prose, code = split_fences(raw)
    base = os.path.dirname(doc)
    # Backticks in prose: every word that is a path; names after a lone path.
    for span in SPAN.finditer(prose):
        content = span.group(1).strip()
        words = content.split()
        for word in words:
            for token in expand_braces(word):
                path = as_path(token)
                if path is None:
                    continue
                seen("paths", doc, prose, span.start(), path)
                if not exists(path):
                    problems.append(f"{doc}:{line_of(prose, span.start())}: {path} does not exist")
                elif len(words) == 1 and token == word:
                    check_names(doc, prose, span.end(), path)
    # Commands in fenced code blocks: the paths they run or read.
    for m in re.finditer(r"\S+", code):
        if m.group(0).startswith(("```", "~~~")):
            continue
        for token in expand_braces(m.group(0)):
            path = as_path(token)
            if path is None:
                continue
            seen("paths", doc, code, m.start(), f"{path} (in a code block)")
            if not exists(path):
                problems.append(f"{doc}:{line_of(code, m.start())}: {path} does not exist")
    # Cargo commands, in prose and in code blocks.
    check_cargo(doc, raw)
    # Relative links, resolved from the doc's folder.
    targets = [(m.group(1), m.start()) for m in LINK.finditer(prose)]
    targets += [(m.group(1), m.start()) for m in REF_LINK.finditer(prose)]
    for target, offset in targets:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("#"):
            continue
        target = target.split("#", 1)[0].split("?", 1)[0]
        if not target:
            continue
        path = os.path.normpath(os.path.join(base, target))
        seen("links", doc, prose, offset, f"link {target} -> {path}")
        if path.startswith("..") or not exists(path):
            problems.append(f"{doc}:{line_of(prose, offset)}: link {target} -> {path} does not exist")


docs = sys.argv[1:]
for doc in docs:
    if not os.path.isfile(doc):
        problems.append(f"{doc}: no such doc")
        continue
    check(doc)

for p in problems:
    print(p)
summary = (f"{counts['paths']} paths, {counts['links']} links, {counts['names']} names, "
           f"{counts['cargo']} cargo targets in {len(docs)} docs")
if problems:
    print(f"check-doc-paths: {len(problems)} missing ({summary})")
    sys.exit(1)
print(f"check-doc-paths: all present ({summary})")
PY
