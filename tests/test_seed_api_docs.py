"""The labelled API-reference text: how docstrings are rendered, and what the shipped file holds."""
from __future__ import annotations

import gzip
import importlib.util
import json
from collections import Counter

from tests.conftest import DATA

_spec = importlib.util.spec_from_file_location("build_api_docs", DATA / "seed" / "build_api_docs.py")
build_api_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_api_docs)


def test_docstring_rendered_as_its_page():
    doc = '''Evaluate the :func:`~numpy.polynomial.hermite.hermval` series.

    The series is

    .. math::

        p(x) = c_0 H_0(x) + c_1 H_1(x)
               + \\dots

    with ``c`` the coefficients and :math:`H_n` the *physicists'* polynomials.

    Parameters
    ----------
    x : array_like
    '''
    assert build_api_docs.render(doc) == (
        "Evaluate the hermval series.\n\nThe series is\n\n\\[p(x) = c_0 H_0(x) + c_1 H_1(x) + \\dots\\]\n\n"
        "with c the coefficients and \\(H_n\\) the physicists' polynomials.\n\nParameters\n\nx : array_like")


def test_documents_are_classes_with_methods_and_public_functions():
    source = '''
def _private(x):
    """Hidden."""

def norm(x, *, ord=2):
    """The :math:`\\\\ell^p` norm of ``x``."""

class Ring:
    """A ring."""
    def __init__(self, base, names=None):
        pass
    def gens(self):
        """The generators."""
'''
    assert build_api_docs.documents(source, "pkg.mod") == [
        "pkg.mod.norm(x, ord)\n\nThe \\(\\ell^p\\) norm of x.",
        "class pkg.mod.Ring(base, names)\n\nA ring.\n\ngens()\n\nThe generators.",
    ]


def test_shipped_file_matches_its_sources():
    sources = json.loads((DATA / "seed" / "api_docs.sources.json").read_text())
    with gzip.open(DATA / "seed" / "api_docs.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert Counter(r["label"] for r in rows) == {"math": 2409, "non_math": 3248}
    label_of = {f"{s['package']}=={s['version']}": s["label"] for s in sources}
    assert all(label_of[r["source"]] == r["label"] for r in rows)
    # math documents carry a formula, the others none; no package of the evaluation crawl is a source
    assert all(build_api_docs.has_math(r["text"]) == (r["label"] == "math") for r in rows)
    reserved = {"scipy", "sympy", "mpmath", "sagemath", "passagemath", "gap", "pari", "cypari2", "diofant"}
    assert not {s["package"].lower() for s in sources} & reserved
    assert all(s["url"].startswith("https://files.pythonhosted.org/") and len(s["sha256"]) == 64 for s in sources)
