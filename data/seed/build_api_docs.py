"""Build `api_docs.jsonl.gz` and `api_docs_no_formula.jsonl.gz`: labelled API-reference documents from the
docstrings of Python packages.

The seed text's positives are TeX and word problems and its negatives are software documentation, so a model
trained on it alone learns "TeX versus software docs" and misses the commonest kind of math page on the web
after lecture notes: the API reference of a mathematical library (a signature, prose, formulas, examples).
This file adds that kind on both sides, labelled by source:

- math: docstrings of numerical and mathematical libraries that contain at least one formula;
- non_math: docstrings of web, database, tooling and networking libraries that contain none.

`api_docs_no_formula.jsonl.gz` holds the documents of the mathematical libraries that carry no formula,
labelled non_math: the stricter labels of the high-precision classifier (a page about a math library is not
mathematics by that alone).

Each document is one class (its docstring and its methods') or one function, rendered as Sphinx renders it:
`:math:` roles become `\\( \\)`, `.. math::` blocks become `\\[ \\]`, other roles and markup become plain text.
Packages whose documentation is in the evaluation crawl (SciPy, SymPy, mpmath, SageMath, GAP, PARI) or that
derive from them are not used.

    python data/seed/build_api_docs.py [--cache DIR] [--per-package N]

Downloads the pinned files of `api_docs.sources.json` from PyPI (checked by SHA-256) and writes the output
next to this script. Deterministic: the same sources give the same file.
"""
from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import inspect
import io
import json
import random
import re
import tarfile
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

_MATH_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. math[ \t]*::[ \t]*(?P<arg>.*)\n(?P<body>(?:(?:(?P=indent)[ \t]+.*)?\n)*)",
                         re.MULTILINE)
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_ROLE = re.compile(r":[a-zA-Z:]+:`(~?)([^`<]*?)(?:\s*<[^>]*>)?`")
_LITERAL = re.compile(r"``([^`]+)``")
_LINK = re.compile(r"`([^`<]+?)\s*<[^>]+>`_+")
_INTERPRETED = re.compile(r"`([^`]+)`_?")
_EMPHASIS = re.compile(r"\*\*?([^*\s][^*]*?)\*\*?")
_UNDERLINE = re.compile(r"^[ \t]*([-=~^\"'`#*+])\1{2,}[ \t]*$", re.MULTILINE)
_DIRECTIVE = re.compile(r"^[ \t]*\.\. [a-zA-Z-]+::.*$", re.MULTILINE)
_FIELD = re.compile(r"^[ \t]*:(?:param|type|rtype|returns?|raises?)\b[^:]*:", re.MULTILINE)
_BLANKS = re.compile(r"\n{3,}")


def render(doc: str) -> str:
    """A docstring as the text of its rendered page (math as MathJax delimiters, markup removed)."""
    def block(m: re.Match) -> str:
        body = " ".join(line.strip() for line in (m["arg"] + "\n" + m["body"]).splitlines() if line.strip())
        return f"\n\\[{body}\\]\n\n" if body else "\n"

    text = _MATH_BLOCK.sub(block, inspect.cleandoc(doc) + "\n")
    text = _MATH_ROLE.sub(lambda m: f"\\({m[1]}\\)", text)
    text = _ROLE.sub(lambda m: m[2].split(".")[-1] if m[1] else m[2], text)
    text = _LITERAL.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _INTERPRETED.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    text = _UNDERLINE.sub("", text)
    text = _DIRECTIVE.sub("", text)
    text = _FIELD.sub("", text)
    return _BLANKS.sub("\n\n", text).strip()


def has_math(text: str) -> bool:
    return "\\(" in text or "\\[" in text


def _signature(node: ast.AST) -> str:
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args if a.arg not in ("self", "cls")]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    return "(" + ", ".join(names) + ")"


def documents(source: str, module: str) -> list[str]:
    """One document per public class (with its methods) and per public module-level function."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    out = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):   # numpy's add_newdoc(module, name, doc)
            call = node.value
            strings = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if getattr(call.func, "id", getattr(call.func, "attr", "")).endswith("add_newdoc") and len(strings) == 3:
                out.append(f"{strings[0]}.{strings[1]}\n\n{render(strings[2])}")
            continue
        if node.name.startswith("_") if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else True:
            continue
        if isinstance(node, ast.FunctionDef):
            doc = ast.get_docstring(node)
            if doc:
                out.append(f"{module}.{node.name}{_signature(node)}\n\n{render(doc)}")
        else:
            parts = []
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            doc = ast.get_docstring(node)
            parts.append(f"class {module}.{node.name}{_signature(init) if init else '()'}\n\n{render(doc or '')}")
            for member in node.body:
                if isinstance(member, ast.FunctionDef) and not member.name.startswith("_"):
                    mdoc = ast.get_docstring(member)
                    if mdoc:
                        parts.append(f"{member.name}{_signature(member)}\n\n{render(mdoc)}")
            if doc or len(parts) > 1:
                out.append("\n\n".join(parts))
    return out


def _fetch(source: dict, cache: Path) -> bytes:
    path = cache / source["url"].rsplit("/", 1)[1]
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(source["url"]) as response:
            path.write_bytes(response.read())
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != source["sha256"]:
        raise SystemExit(f"sha256 mismatch for {path}")
    return data


def _python_files(data: bytes, name: str):
    if name.endswith(".whl"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for member in sorted(z.namelist()):
                if member.endswith(".py"):
                    yield member, z.read(member).decode("utf-8", "replace")
    else:
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            for member in sorted(t.getmembers(), key=lambda m: m.name):
                if member.isfile() and member.name.endswith(".py"):
                    yield member.name.split("/", 1)[1], t.extractfile(member).read().decode("utf-8", "replace")


def _skip(path: str) -> bool:
    parts = path.split("/")
    return any(p in ("tests", "test", "testing", "_vendor", "vendor", "benchmarks", "doc", "docs", "tools")
               or p.startswith("test_") for p in parts)


def build(sources: list[dict], cache: Path, per_package: int, min_chars: int, max_chars: int,
          seed: int) -> tuple[list[dict], list[dict]]:
    """(documents labelled by their package, math-library documents without a formula labelled non_math)."""
    rows, no_formula = [], []
    for source in sources:
        data = _fetch(source, cache)
        is_math = source["label"] == "math"
        kept, plain = [], []
        for path, text in _python_files(data, source["url"].rsplit("/", 1)[1]):
            if _skip(path):
                continue
            module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            for doc in documents(text, module):
                doc = doc[:max_chars]
                if len(doc) < min_chars:
                    continue
                if has_math(doc) == is_math:
                    kept.append(doc)
                elif is_math:
                    plain.append(doc)
        origin = f"{source['package']}=={source['version']}"
        # a quarter as many formula-free documents per package: the stricter labels, not a new majority
        for docs, out, label, cap in ((kept, rows, source["label"], per_package),
                                      (plain, no_formula, "non_math", per_package // 4)):
            docs = sorted(set(docs))
            random.Random(f"{seed}:{source['package']}").shuffle(docs)
            out += [{"text": doc, "label": label, "source": origin} for doc in docs[:cap]]
        print(f"{origin:28s} {source['label']:9s} {len(set(kept)):6d} documents, "
              f"{min(len(set(kept)), per_package):5d} kept; {min(len(set(plain)), per_package // 4):5d} without formula")
    return rows, no_formula


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", default=str(HERE / ".cache"), help="where downloads are kept")
    parser.add_argument("--per-package", type=int, default=500)
    parser.add_argument("--min-chars", type=int, default=300)
    parser.add_argument("--max-chars", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    sources = json.loads((HERE / "api_docs.sources.json").read_text())
    rows, no_formula = build(sources, Path(args.cache), args.per_package, args.min_chars, args.max_chars, args.seed)
    for name, docs in (("api_docs.jsonl.gz", rows), ("api_docs_no_formula.jsonl.gz", no_formula)):
        out = HERE / name
        with gzip.GzipFile(out, "wb", mtime=0) as fh:
            for row in docs:
                fh.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
        counts = {label: sum(r["label"] == label for r in docs) for label in ("math", "non_math")}
        print(f"{out}: {len(docs)} documents {counts}")


if __name__ == "__main__":
    main()
