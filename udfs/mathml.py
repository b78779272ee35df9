"""Presentation MathML -> LaTeX.

A small, dependency-light converter used by :mod:`udfs.html` for ``<math>``
elements that carry neither an ``alttext`` attribute nor a TeX annotation.
It walks an already parsed DOM (a resiliparse ``ElementNode``; anything with
the same small duck-typed surface works: ``tag``/``child_nodes``/``getattr``/
``text``), or parses a MathML string with Resiliparse first.  It never raises
on unknown elements: an element it does not know is converted as the
concatenation of its children.  ``<semantics>`` prefers a TeX annotation.
Nesting deeper than MAX_DEPTH gives '' (see convert_node).

Covered: mi, mn, mo, mtext, ms, mrow, mstyle, mpadded, mphantom, merror,
maction, semantics, mfrac, msqrt, mroot, msup, msub, msubsup, munder, mover,
munderover, mmultiscripts (basic), mfenced, mtable/mtr/mlabeledtr/mtd,
mspace and menclose (box, strikes, radical, top/bottom lines).

Output style, so that callers and tests can rely on it:
  * scripts are always braced: ``x^{2}``, ``x_{i}^{2}``, ``\\sum_{i=1}^{n}``;
  * a multi-token base of a script is braced: ``{(a+b)}^{2}``;
  * no spaces are added around operators; one space is put only where a
    control word would otherwise run into a letter (``\\alpha x``).
"""

from __future__ import annotations

import re
import threading
from typing import Any, Iterable

__all__ = ["mathml_to_latex", "convert_node", "MathMLTooDeep", "MAX_DEPTH", "SYMBOLS"]

# --------------------------------------------------------------------------
# Character tables
# --------------------------------------------------------------------------

_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta",
    "ε": r"\varepsilon", "ϵ": r"\epsilon", "ζ": r"\zeta", "η": r"\eta",
    "θ": r"\theta", "ϑ": r"\vartheta", "ι": r"\iota", "κ": r"\kappa",
    "ϰ": r"\varkappa", "λ": r"\lambda", "μ": r"\mu", "µ": r"\mu", "ν": r"\nu",
    "ξ": r"\xi", "ο": "o", "π": r"\pi", "ϖ": r"\varpi", "ρ": r"\rho",
    "ϱ": r"\varrho", "σ": r"\sigma", "ς": r"\varsigma", "τ": r"\tau",
    "υ": r"\upsilon", "φ": r"\varphi", "ϕ": r"\phi", "χ": r"\chi",
    "ψ": r"\psi", "ω": r"\omega",
    "Α": "A", "Β": "B", "Γ": r"\Gamma", "Δ": r"\Delta", "Ε": "E", "Ζ": "Z",
    "Η": "H", "Θ": r"\Theta", "Ι": "I", "Κ": "K", "Λ": r"\Lambda", "Μ": "M",
    "Ν": "N", "Ξ": r"\Xi", "Ο": "O", "Π": r"\Pi", "Ρ": "P", "Σ": r"\Sigma",
    "Τ": "T", "Υ": r"\Upsilon", "Φ": r"\Phi", "Χ": "X", "Ψ": r"\Psi",
    "Ω": r"\Omega", "Ϝ": r"\digamma",
}

_OPERATORS = {
    # big operators
    "∑": r"\sum", "∏": r"\prod", "∐": r"\coprod", "∫": r"\int", "∬": r"\iint",
    "∭": r"\iiint", "∮": r"\oint", "⋃": r"\bigcup", "⋂": r"\bigcap",
    "⨁": r"\bigoplus", "⨂": r"\bigotimes", "⋁": r"\bigvee", "⋀": r"\bigwedge",
    # relations
    "≤": r"\le", "≦": r"\leqq", "≥": r"\ge", "≧": r"\geqq", "≠": r"\neq",
    "≈": r"\approx", "≡": r"\equiv", "≢": r"\not\equiv", "∼": r"\sim",
    "≃": r"\simeq", "≅": r"\cong", "∝": r"\propto", "≪": r"\ll", "≫": r"\gg",
    "≺": r"\prec", "≻": r"\succ", "⪯": r"\preceq", "⪰": r"\succeq",
    "∈": r"\in", "∉": r"\notin", "∋": r"\ni", "⊂": r"\subset", "⊃": r"\supset",
    "⊆": r"\subseteq", "⊇": r"\supseteq", "⊊": r"\subsetneq", "⊄": r"\not\subset",
    "⊥": r"\perp", "∥": r"\parallel", "∣": r"\mid", "∤": r"\nmid",
    "⊢": r"\vdash", "⊨": r"\models", "≔": r"\coloneqq", "≝": r"\stackrel{\text{def}}{=}",
    "⊲": r"\lhd", "⊳": r"\rhd",
    # arrows
    "→": r"\to", "←": r"\leftarrow", "↔": r"\leftrightarrow", "⇒": r"\Rightarrow",
    "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow", "↦": r"\mapsto",
    "⟶": r"\longrightarrow", "⟵": r"\longleftarrow", "⟹": r"\Longrightarrow",
    "⟸": r"\Longleftarrow", "⟺": r"\Longleftrightarrow", "⟼": r"\longmapsto",
    "↑": r"\uparrow", "↓": r"\downarrow", "⇑": r"\Uparrow", "⇓": r"\Downarrow",
    "↗": r"\nearrow", "↘": r"\searrow", "↪": r"\hookrightarrow",
    "↠": r"\twoheadrightarrow", "⇀": r"\rightharpoonup", "⇌": r"\rightleftharpoons",
    # binary operators
    "×": r"\times", "⋅": r"\cdot", "·": r"\cdot", "±": r"\pm",
    "∓": r"\mp", "÷": r"\div", "∗": "*", "∘": r"\circ", "∙": r"\bullet",
    "⊕": r"\oplus", "⊖": r"\ominus", "⊗": r"\otimes", "⊙": r"\odot",
    "∪": r"\cup", "∩": r"\cap", "∖": r"\setminus", "∧": r"\wedge", "∨": r"\vee",
    "⊔": r"\sqcup", "⊓": r"\sqcap", "⋆": r"\star", "†": r"\dagger", "‡": r"\ddagger",
    "−": "-", "–": "-", "⁄": "/", "∕": "/",
    # misc symbols
    "∞": r"\infty", "∂": r"\partial", "∇": r"\nabla", "∀": r"\forall",
    "∃": r"\exists", "∄": r"\nexists", "¬": r"\neg", "∅": r"\emptyset",
    "ℵ": r"\aleph", "ℏ": r"\hbar", "ℓ": r"\ell", "℘": r"\wp", "ℑ": r"\Im",
    "ℜ": r"\Re", "√": r"\surd", "∠": r"\angle", "△": r"\triangle", "□": r"\square",
    "°": r"^{\circ}", "′": "'", "″": "''", "‴": "'''", "…": r"\ldots",
    "⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots", "∴": r"\therefore",
    "∵": r"\because", "♯": r"\sharp", "♭": r"\flat", "★": r"\bigstar",
    "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}", "ℚ": r"\mathbb{Q}", "ℝ": r"\mathbb{R}",
    "ℂ": r"\mathbb{C}", "ℙ": r"\mathbb{P}", "ℍ": r"\mathbb{H}",
    # fences
    "{": r"\{", "}": r"\}", "⟨": r"\langle", "⟩": r"\rangle", "〈": r"\langle",
    "〉": r"\rangle", "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil",
    "⌉": r"\rceil", "‖": r"\|",
    # characters that need escaping in TeX
    "#": r"\#", "%": r"\%", "&": r"\&", "$": r"\$", "_": r"\_", "\\": r"\backslash",
    "~": r"\sim", "^": r"\hat{}",
    # invisible operators (function application, times, separator, plus)
    "\u2061": "", "\u2062": "", "\u2063": "", "\u2064": "",
    "\u200b": "", "\u00a0": " ",
}

SYMBOLS: dict[str, str] = {**_OPERATORS, **_GREEK}

# multi-letter identifiers / operators that are TeX operator names
_FUNCTIONS = frozenset(
    "sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth log ln lg "
    "exp lim liminf limsup sup inf max min det dim ker gcd deg arg hom Pr mod".split()
)
_LIMIT_OPS = frozenset(
    [r"\sum", r"\prod", r"\coprod", r"\bigcup", r"\bigcap", r"\bigoplus",
     r"\bigotimes", r"\bigvee", r"\bigwedge", r"\lim", r"\liminf", r"\limsup",
     r"\max", r"\min", r"\sup", r"\inf", r"\int", r"\iint", r"\iiint", r"\oint",
     r"\det", r"\gcd", r"\Pr"]
)

# mover / munder accents: character -> command taking one argument
_OVER_ACCENTS = {
    "^": r"\hat", "ˆ": r"\hat", "\u0302": r"\hat", "~": r"\tilde", "˜": r"\tilde",
    "\u0303": r"\tilde", "¯": r"\bar", "‾": r"\overline", "\u0305": r"\bar",
    "_": r"\overline", "―": r"\overline", "−": r"\overline", "-": r"\overline",
    "→": r"\vec", "\u20d7": r"\vec", "⟶": r"\overrightarrow",
    "←": r"\overleftarrow", "↔": r"\overleftrightarrow",
    "˙": r"\dot", "\u0307": r"\dot", ".": r"\dot", "¨": r"\ddot", "\u0308": r"\ddot",
    "..": r"\ddot", "ˇ": r"\check", "\u030c": r"\check", "˘": r"\breve",
    "´": r"\acute", "`": r"\grave", "⏞": r"\overbrace", "︷": r"\overbrace",
}
_UNDER_ACCENTS = {
    "_": r"\underline", "‾": r"\underline", "¯": r"\underline", "―": r"\underline",
    "−": r"\underline", "⏟": r"\underbrace", "︸": r"\underbrace",
    "→": r"\underrightarrow", "←": r"\underleftarrow",
}
# accents whose short form only makes sense on a single symbol
_WIDE = {r"\hat": r"\widehat", r"\tilde": r"\widetilde", r"\bar": r"\overline"}

_FENCE_ENVS = {("(", ")"): "pmatrix", ("[", "]"): "bmatrix", (r"\{", r"\}"): "Bmatrix",
               ("|", "|"): "vmatrix", (r"\|", r"\|"): "Vmatrix"}

_MATHVARIANT = {
    "bold": r"\mathbf", "double-struck": r"\mathbb", "script": r"\mathcal",
    "bold-script": r"\mathcal", "fraktur": r"\mathfrak", "bold-fraktur": r"\mathfrak",
    "sans-serif": r"\mathsf", "monospace": r"\mathtt", "bold-italic": r"\boldsymbol",
    "italic": "", "normal": r"\mathrm",
}

_TEX_ANNOTATIONS = ("application/x-tex", "tex", "latex", "application/x-latex", "text/x-tex")

_CMD_END = re.compile(r"\\[A-Za-z]+$")
_TEXT_ESCAPES = str.maketrans({"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}",
                               "#": r"\#", "%": r"\%", "&": r"\&", "$": r"\$", "_": r"\_",
                               "^": r"\^{}", "~": r"\~{}"})
_WS = re.compile(r"\s+")

# --------------------------------------------------------------------------
# DOM access (duck-typed over resiliparse nodes)
# --------------------------------------------------------------------------


def _local(node: Any) -> str:
    tag = node.tag or ""
    if ":" in tag:  # m:mi in namespaced XHTML
        tag = tag.rsplit(":", 1)[1]
    return tag.lower()


def _children(node: Any) -> list[Any]:
    """Element children; stray non-blank text is kept as a pseudo <mtext>."""
    out = []
    kids = node.child_nodes
    values = getattr(kids, "values", None)  # NodeList iteration is quadratic
    for child in (values() if values is not None else kids):
        tag = child.tag
        if tag == "#text":
            txt = child.text
            if txt and txt.strip():
                out.append(_Text(txt.strip()))
        elif tag and tag[0] != "#":
            out.append(child)
    return out


class _Text:
    """A bare text run found between MathML elements."""

    __slots__ = ("text",)
    tag = "mtext"
    child_nodes: tuple = ()

    def __init__(self, text: str) -> None:
        self.text = text

    def getattr(self, name: str, default: Any = None) -> Any:
        return default


def _attr(node: Any, name: str) -> str | None:
    try:
        return node.getattr(name)
    except Exception:  # noqa: BLE001 - foreign node types
        return None


def _text(node: Any) -> str:
    return _WS.sub(" ", node.text or "").strip()


# --------------------------------------------------------------------------
# Joining
# --------------------------------------------------------------------------


def _join(parts: Iterable[str]) -> str:
    out: list[str] = []
    prev = ""
    for p in parts:
        if not p:
            continue
        if prev and p[0].isalpha() and _CMD_END.search(prev):
            out.append(" ")
        out.append(p)
        prev = p
    return "".join(out)


def _is_atom(tex: str) -> bool:
    """True if tex is one symbol that needs no braces as a script base."""
    if len(tex) == 1:
        return True
    if re.fullmatch(r"\\[A-Za-z]+", tex):
        return True
    if re.fullmatch(r"\\math[a-z]+\{[^{}]*\}|\\[A-Za-z]+\{[^{}]\}", tex):
        return True
    return bool(re.fullmatch(r"[0-9]+(\.[0-9]+)?", tex))


def _brace(tex: str) -> str:
    return tex if _is_atom(tex) else "{" + tex + "}"


# --------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------


def _token_mi(node: Any) -> str:
    txt = _text(node)
    if not txt:
        return ""
    variant = (_attr(node, "mathvariant") or "").lower()
    if len(txt) == 1:
        tex = SYMBOLS.get(txt, txt)
        if variant and variant != "italic":
            cmd = _MATHVARIANT.get(variant)
            if cmd:
                if cmd == r"\mathbb" and tex.startswith(r"\mathbb"):
                    return tex
                return cmd + "{" + tex + "}"
        return tex
    if txt in _FUNCTIONS and variant in ("", "normal"):
        return "\\" + txt
    tex = "".join(SYMBOLS.get(ch, ch) if not ch.isalnum() else ch for ch in txt)
    cmd = r"\mathit" if variant == "italic" else (_MATHVARIANT.get(variant) or r"\mathrm")
    return cmd + "{" + tex + "}"


def _token_mo(node: Any) -> str:
    txt = _text(node)
    if not txt:
        return ""
    if txt in _FUNCTIONS:
        return "\\" + txt
    if len(txt) == 1:
        return SYMBOLS.get(txt, txt)
    mapped = "".join(SYMBOLS.get(ch, ch) for ch in txt)
    if re.fullmatch(r"[A-Za-z]+", txt):
        return r"\operatorname{" + txt + "}"
    return mapped


def _token_mn(node: Any) -> str:
    txt = _text(node)
    return "".join(SYMBOLS.get(ch, ch) if not ch.isalnum() and ch not in ".,"
                   else ch for ch in txt)


def _token_mtext(node: Any) -> str:
    raw = node.text or ""
    if not raw.strip():
        return r"\ " if raw else ""
    txt = _WS.sub(" ", raw)
    return r"\text{" + txt.translate(_TEXT_ESCAPES) + "}"


def _mspace(node: Any) -> str:
    if (_attr(node, "linebreak") or "") == "newline":
        return r"\\"
    width = (_attr(node, "width") or "").strip().lower()
    m = re.match(r"([0-9.]+)\s*(em|ex|px|pt|mu)?", width)
    if not m:
        if width in ("thinmathspace", "verythinmathspace", "veryverythinmathspace"):
            return r"\,"
        if width in ("mediummathspace",):
            return r"\:"
        if width in ("thickmathspace", "verythickmathspace", "veryverythickmathspace"):
            return r"\;"
        return ""
    try:
        val = float(m.group(1))
    except ValueError:
        return ""
    unit = m.group(2) or "em"
    em = {"em": val, "ex": val / 2, "px": val / 16, "pt": val / 10, "mu": val / 18}[unit]
    if em >= 1.8:
        return r"\qquad"
    if em >= 0.9:
        return r"\quad"
    if em >= 0.25:
        return r"\;"
    if em > 0:
        return r"\,"
    return ""


def _row(nodes: list[Any]) -> str:
    # (  mtable  )  ->  pmatrix & friends
    if len(nodes) == 3 and _local(nodes[1]) == "mtable" and _local(nodes[0]) == "mo" \
            and _local(nodes[2]) == "mo":
        env = _FENCE_ENVS.get((_token_mo(nodes[0]), _token_mo(nodes[2])))
        if env:
            return _table(nodes[1], env)
    return _join(convert_node(n) for n in nodes)


def _inner(node: Any) -> str:
    """Children of an element with an inferred mrow."""
    return _row(_children(node))


def _args(node: Any, n: int) -> list[str]:
    kids = _children(node)
    out = [convert_node(k) for k in kids[:n]]
    while len(out) < n:
        out.append("")
    return out


def _table(node: Any, env: str = "matrix") -> str:
    rows = []
    for tr in _children(node):
        name = _local(tr)
        if name not in ("mtr", "mlabeledtr"):
            rows.append(convert_node(tr))
            continue
        cells = _children(tr)
        if name == "mlabeledtr" and cells:
            cells = cells[1:]  # the first cell is the equation label
        rows.append(" & ".join(_inner(td) if _local(td) == "mtd" else convert_node(td)
                               for td in cells))
    return r"\begin{" + env + "}" + r" \\ ".join(rows) + r"\end{" + env + "}"


def _fenced(node: Any) -> str:
    open_ = _attr(node, "open")
    close = _attr(node, "close")
    open_ = "(" if open_ is None else open_.strip()
    close = ")" if close is None else close.strip()
    seps = _attr(node, "separators")
    seps = "," if seps is None else re.sub(r"\s+", "", seps)
    kids = _children(node)
    if len(kids) == 1 and _local(kids[0]) == "mtable":
        env = _FENCE_ENVS.get((SYMBOLS.get(open_, open_), SYMBOLS.get(close, close)))
        if env:
            return _table(kids[0], env)
    parts: list[str] = []
    for i, kid in enumerate(kids):
        if i and seps:
            sep = seps[min(i - 1, len(seps) - 1)]
            parts.append(SYMBOLS.get(sep, sep))
        parts.append(convert_node(kid))
    left = SYMBOLS.get(open_, open_) if open_ else "."
    right = SYMBOLS.get(close, close) if close else "."
    return _join([r"\left" + left, *parts, r"\right" + right])


def _scripts(base: str, sub: str | None, sup: str | None) -> str:
    out = _brace(base) if base else "{}"
    if sub is not None:
        out += "_{" + sub + "}"
    if sup is not None:
        out += "^{" + sup + "}"
    return out


def _limits_base(base: str) -> bool:
    return base in _LIMIT_OPS or base.startswith(r"\operatorname")


def _under_over(node: Any, name: str) -> str:
    kids = _children(node)
    base_node = kids[0] if kids else None
    base = convert_node(base_node) if base_node is not None else ""
    under = over = None
    if name == "munder":
        under = convert_node(kids[1]) if len(kids) > 1 else ""
    elif name == "mover":
        over = convert_node(kids[1]) if len(kids) > 1 else ""
    else:
        under = convert_node(kids[1]) if len(kids) > 1 else ""
        over = convert_node(kids[2]) if len(kids) > 2 else ""
    if _limits_base(base):
        return _scripts(base, under, over)
    # accents
    if over is not None and under is None and len(kids) > 1 and _local(kids[1]) == "mo":
        cmd = _OVER_ACCENTS.get(_text(kids[1]))
        if cmd:
            if not _is_atom(base):
                cmd = _WIDE.get(cmd, cmd)
            return cmd + "{" + base + "}"
    if under is not None and over is None and len(kids) > 1 and _local(kids[1]) == "mo":
        cmd = _UNDER_ACCENTS.get(_text(kids[1]))
        if cmd:
            return cmd + "{" + base + "}"
    out = base
    if under is not None:
        out = r"\underset{" + under + "}{" + out + "}"
    if over is not None:
        out = r"\overset{" + over + "}{" + out + "}"
    return out


def _multiscripts(node: Any) -> str:
    kids = _children(node)
    if not kids:
        return ""
    base = convert_node(kids[0])
    post: list[str] = []
    pre: list[str] = []
    target = post
    items = kids[1:]
    i = 0
    while i < len(items):
        if _local(items[i]) == "mprescripts":
            target = pre
            i += 1
            continue
        sub = convert_node(items[i]) if _local(items[i]) != "none" else ""
        sup = (convert_node(items[i + 1])
               if i + 1 < len(items) and _local(items[i + 1]) != "none" else "")
        s = ""
        if sub:
            s += "_{" + sub + "}"
        if sup:
            s += "^{" + sup + "}"
        target.append(s)
        i += 2
    return ("{}" + "".join(pre) if pre else "") + _brace(base) + "".join(post)


def _enclose(node: Any) -> str:
    body = _inner(node)
    notation = (_attr(node, "notation") or "").split()
    if not notation:
        return body
    if "radical" in notation:
        return r"\sqrt{" + body + "}"
    if any(n in notation for n in ("updiagonalstrike", "downdiagonalstrike",
                                   "horizontalstrike", "verticalstrike")):
        body = r"\cancel{" + body + "}"
    if "box" in notation or "roundedbox" in notation or "circle" in notation or \
            ("left" in notation and "right" in notation and "top" in notation):
        return r"\boxed{" + body + "}"
    if "top" in notation:
        body = r"\overline{" + body + "}"
    if "bottom" in notation:
        body = r"\underline{" + body + "}"
    return body


def _semantics(node: Any) -> str:
    kids = _children(node)
    for kid in kids:
        if _local(kid) == "annotation" and \
                (_attr(kid, "encoding") or "").lower() in _TEX_ANNOTATIONS:
            tex = (kid.text or "").strip()
            if tex:
                return tex
    for kid in kids:
        if _local(kid) not in ("annotation", "annotation-xml"):
            return convert_node(kid)
    return ""


class MathMLTooDeep(ValueError):
    """Nesting beyond MAX_DEPTH; real formulas never get there."""


MAX_DEPTH = 60
_state = threading.local()  # .depth: current nesting of convert_node calls


def convert_node(node: Any) -> str:
    """Convert one MathML element (or bare text) to LaTeX.

    Raises MathMLTooDeep past MAX_DEPTH nested elements (the DOM walk must stop
    well before Python's recursion limit: Resiliparse turns a RecursionError
    inside its own calls into a PanicException, which is not an Exception).
    """
    depth = getattr(_state, "depth", 0)
    if depth >= MAX_DEPTH:
        raise MathMLTooDeep(f"MathML nested deeper than {MAX_DEPTH}")
    _state.depth = depth + 1
    try:
        return _convert(node)
    finally:
        _state.depth = depth


def _convert(node: Any) -> str:
    if isinstance(node, _Text):
        return _token_mtext(node) if not _looks_mathy(node.text) else \
            "".join(SYMBOLS.get(c, c) for c in node.text)
    name = _local(node)
    if name == "mi":
        return _token_mi(node)
    if name == "mn":
        return _token_mn(node)
    if name == "mo":
        return _token_mo(node)
    if name == "mtext":
        return _token_mtext(node)
    if name == "ms":
        return r"\text{``" + (_text(node)).translate(_TEXT_ESCAPES) + "''}"
    if name in ("mrow", "math", "mstyle", "mpadded", "merror", "mtd", "mtr"):
        return _inner(node)
    if name == "mphantom":
        return r"\phantom{" + _inner(node) + "}"
    if name == "mfrac":
        num, den = _args(node, 2)
        thick = (_attr(node, "linethickness") or "").strip()
        if thick in ("0", "0px", "0em", "0pt", "zero"):
            return r"\genfrac{}{}{0pt}{}{" + num + "}{" + den + "}"
        return r"\frac{" + num + "}{" + den + "}"
    if name == "msqrt":
        return r"\sqrt{" + _inner(node) + "}"
    if name == "mroot":
        base, index = _args(node, 2)
        return r"\sqrt[" + index + "]{" + base + "}"
    if name == "msup":
        base, sup = _args(node, 2)
        return _scripts(base, None, sup)
    if name == "msub":
        base, sub = _args(node, 2)
        return _scripts(base, sub, None)
    if name == "msubsup":
        base, sub, sup = _args(node, 3)
        return _scripts(base, sub, sup)
    if name in ("munder", "mover", "munderover"):
        return _under_over(node, name)
    if name == "mmultiscripts":
        return _multiscripts(node)
    if name == "mfenced":
        return _fenced(node)
    if name == "mtable":
        return _table(node)
    if name == "mspace":
        return _mspace(node)
    if name == "menclose":
        return _enclose(node)
    if name == "semantics":
        return _semantics(node)
    if name in ("annotation", "annotation-xml", "none", "mprescripts", "mglyph",
                "malignmark", "maligngroup"):
        return ""
    if name == "maction":
        kids = _children(node)
        try:
            sel = int(_attr(node, "selection") or "1")
        except ValueError:
            sel = 1
        return convert_node(kids[sel - 1]) if 0 < sel <= len(kids) else ""
    # unknown element (including HTML inside <mtext>): its children in order
    return _inner(node)


def _looks_mathy(text: str) -> bool:
    return len(text) <= 3 or not re.search(r"[A-Za-z]{2}", text)


def mathml_to_latex(math: Any) -> str:
    """Convert a ``<math>`` element (or a MathML markup string) to LaTeX.

    The result has no math delimiters; whitespace is collapsed and stripped.
    Returns '' for empty or unconvertible input; never raises for odd markup
    (only a non-string, non-node argument raises TypeError).
    """
    if isinstance(math, str):
        from resiliparse.parse.html import HTMLTree

        tree = HTMLTree.parse("<!doctype html><html><body>" + math + "</body></html>")
        node = tree.body.query_selector("math") if tree.body is not None else None
        if node is None:
            return ""
        math = node
    if not hasattr(math, "child_nodes"):
        raise TypeError("expected a <math> DOM node or a MathML string")
    _state.depth = 0
    try:
        tex = convert_node(math)
    except (MathMLTooDeep, RecursionError):
        return ""
    return _WS.sub(" ", tex).strip()
