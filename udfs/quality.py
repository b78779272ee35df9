"""Rule-based quality signals and the decision on them, aware of mathematics.

Signals are computed on the prose: math spans are masked first (udfs.mathtext), so LaTeX never counts as
symbols, special characters or short words, and a formula's words count towards the page's length. The input
lines of interactive sessions in examples (`>>>`, `sage:`, `gap>`, `In [1]:`) are code, not prose: they are
left out of the prose measures, and as they repeat their set-up by design, their repeats are not duplicate
lines. C4's "no `{`" rule is deliberately
absent. Every signal is stored
on the row; the decision names the first rule that failed.

What the rules read, beyond Gopher's space-separated English:
- Unsegmented CJK (Chinese, Japanese kana/kanji) has no spaces between words: each CJK character is a word for
  `word_count` and the repetition measures, the mean word length is taken over the space-delimited words only,
  and the mean-word-length rules are not applied when most of the prose's words are CJK characters.
- Forum quotations: the run of lines right after a quote marker ("X wrote:", "Quote:", "Originally Posted by",
  "X said:", "引用", "写道") that repeat earlier lines is a quotation, and each line's first quoted repeat is not
  a duplicate line. `#` before a digit (`#12`, `post #3`) is a number sign, not a Gopher symbol.
- Table rows (tab- or pipe-separated short cells, or lines of mostly numbers and separators) and code lines are
  not prose: character repetition is measured without them, and NSFW words are counted only in prose lines,
  never in tables, code or the page's data-set vocabulary (a word that is a table cell or a code identifier on
  the same page, like a `sex` column of a data set).
- A page whose text carries math is judged with a lower minimum length (`min_words_with_math`): a definition
  and its formula is a complete page.
- A displayed formula (a math span alone on its line) ends a statement: it counts as a punctuation mark, so a
  formula sheet of headings and displays is not a keyword list.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from udfs.mathtext import mask_and_measure

# Unsegmented scripts: CJK radicals and ideographs (with extensions and compatibility forms), 々 〇 〡-〩,
# hiragana and katakana. Hangul is written with spaces between words and is not among them.
_CJK = "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff" \
       "\uf900-\ufaff\U00020000-\U0003134f"
# A word: one CJK character, or a run of other word characters (for text without CJK exactly `\w+`).
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+", re.UNICODE)
_CJK_CHAR = re.compile(rf"[{_CJK}]")
# Prose is mostly CJK when more than half of its words are CJK characters: its space-delimited words are then
# embedded Latin (variables, names, code), and Gopher's mean word length says nothing about it.
_MOSTLY_CJK = 0.5
_MATH_TOKEN = " mathspan "
_MATH_WORD_TOKEN = _MATH_TOKEN.strip()
_TOKEN_SPACES = re.compile(rf"[ \t]?{_MATH_TOKEN}[ \t]?")
# Gopher's symbols; `#` before a digit is a number sign (`#12`, `post #3`, `# 4`), not a hashtag.
_SYMBOL = re.compile(r"#(?!\s?\d)|\.\.\.|…")
# A line that introduces a quotation of an earlier post: "X wrote:", "Quote:", "Originally Posted by X",
# "X said:", "引用 X 的帖子", "X 写道：". Only short lines (attributions, not sentences) are markers.
_QUOTE_MARKER = re.compile(
    r"^quote\s*:?\s*$|^originally posted by\b|^(?:以下是)?引用"
    r"|(?:\bwrote|\bwrites|\bsaid|\bsays|写道|說|说)\s*[:：]\s*$|写道\s*$", re.IGNORECASE)
_MAX_MARKER_LEN = 120
# A table row: cells separated by tabs or pipes (or by runs of spaces, three cells at least), nearly all of
# them short; or a line of mostly digits and separators.
_TAB_CELLS = re.compile(r"\t+|\s*\|\s*")
_SPACE_CELLS = re.compile(r" {2,}")
_NUMERIC_CHARS = re.compile(r"[0-9.,:;\-+–—−/%$€£|()\[\]=*×<>]")
_DIGIT = re.compile(r"[0-9]")
_SPACES = re.compile(r"\s")
# A code line: assignment, pipes, comparisons, member or index access, a call ending the line, braces, knitr
# output (`## `, `#> `) or a statement keyword starting the line.
_CODE_LINE = re.compile(
    r"<-|%>%|\|>|[=!<>]=|:=|=>|[A-Za-z0-9_]\$[A-Za-z_]|\w\[\s*[\"',]|\w\[\d+\s*,|\w\([^()]*\)\s*;?\s*$|[{}]\s*$"
    r"|^\s*(?:##|#>)\s|^\s*(?:library|require|import|def|function|return|print|var|let|const|SELECT)\b\s*[\w(]")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_PUNCT = re.compile(r"[.,;:!?。，；：！？]")
_SPECIAL = re.compile(r"[^\w\s.,;:!?'\"()\[\]\-–—/%&+=<>*#@$€£¥。，；：！？、（）「」『』《》·•…]", re.UNICODE)
_BULLET = re.compile(r"^\s*(?:[•●◦▪‣∙·*\-–]|\d{1,3}[.)])\s")
_SESSION_INPUT = re.compile(r"^[ \t]*(?:>>>|\.\.\.[ \t]|sage:|gap>|In \[\d+\]:)", re.MULTILINE)
_MOJIBAKE = re.compile("\ufffd|Ã[\u0080-\u00bf]|â€[\u0080-\u00bf™œ“”˜]")


@dataclass(frozen=True)
class QualityOptions:
    """The `[quality]` keys of the same names (jobs.config.section_options), and the word lists its
    `nsfw_words_file` and `blocklist_file` name."""
    min_words: int
    min_words_with_math: int
    max_words: int
    min_mean_word_length: float
    max_mean_word_length: float
    max_symbol_ratio: float
    max_special_char_ratio: float
    min_punctuation_ratio: float
    max_char_repetition_ratio: float
    max_word_repetition_ratio: float
    max_dup_line_fraction: float
    max_dup_paragraph_fraction: float
    max_ellipsis_line_fraction: float
    max_bullet_line_fraction: float
    max_nsfw_words: int
    max_unicode_errors: int
    max_chars: int
    nsfw_words: frozenset
    blocklist: frozenset


# The stored signals (jobs/tables.py QUALITY_SIGNALS). `signals` also returns `_cjk_share`, read by `decide` and
# not stored (score_frame keeps these columns only).
SIGNALS = ["word_count", "mean_word_length", "symbol_ratio", "special_char_ratio", "punctuation_ratio",
           "char_repetition_ratio", "word_repetition_ratio", "dup_line_fraction", "dup_paragraph_fraction",
           "ellipsis_line_fraction", "bullet_line_fraction", "nsfw_word_count", "unicode_error_count",
           "math_char_fraction", "blocklisted"]


def load_word_list(path: str | Path) -> frozenset:
    """One entry per line, `#` comments; lower-cased."""
    entries = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            entries.add(line)
    return frozenset(entries)


def is_blocklisted(host: str | None, blocklist: frozenset) -> bool:
    """True if `host` or any parent domain of it is on the list."""
    if not host or not blocklist:
        return False
    parts = host.lower().rstrip(".").split(".")
    return any(".".join(parts[i:]) in blocklist for i in range(len(parts)))


def char_repetition_ratio(text: str, n: int = 10) -> float:
    """Share of character n-grams taken by the sqrt(#distinct) most frequent ones (BigScience ROOTS)."""
    grams = Counter(text[i:i + n] for i in range(len(text) - n + 1))
    if not grams:
        return 0.0
    top = int(len(grams) ** 0.5)
    counts = sorted(grams.values(), reverse=True)
    return sum(counts[:top]) / sum(counts)


def word_repetition_ratio(words: list[str], n: int = 5) -> float:
    """Share of word n-grams that repeat an earlier one (each repeated n-gram's first occurrence is not
    counted), after BigScience ROOTS."""
    grams = Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    total = sum(grams.values())
    if not total:
        return 0.0
    return sum(c - 1 for c in grams.values()) / total


def _repeated_share(counts: Counter) -> float:
    """Share of the characters taken by repeats of a line or paragraph (its first occurrence not counted),
    after Gopher's duplicate-line and duplicate-paragraph character fractions."""
    total = sum(len(item) * c for item, c in counts.items())
    if not total:
        return 0.0
    return sum(len(item) * (c - 1) for item, c in counts.items()) / total


def _cells(line: str, splitter: re.Pattern) -> list[str]:
    return [c.strip() for c in splitter.split(line.strip()) if c.strip()]


def _is_table_row(line: str) -> bool:
    """Tab- or pipe-separated cells (two at least) or space-separated ones (three at least) that are nearly
    all short (at most three words), or a line that is mostly digits and separators."""
    s = line.strip()
    if not s:
        return False
    for splitter, least, sep in ((_TAB_CELLS, 2, ("\t", "|")), (_SPACE_CELLS, 3, ("  ",))):
        if not any(x in s for x in sep):
            continue
        cells = _cells(s, splitter)
        if len(cells) >= least and sum(1 for c in cells if len(c.split()) <= 3) >= 0.75 * len(cells):
            return True
    if not _DIGIT.search(s):
        return False
    return len(_NUMERIC_CHARS.findall(s)) >= 0.6 * (len(s) - len(_SPACES.findall(s)))


def _is_code_line(line: str) -> bool:
    return bool(_CODE_LINE.search(line))


def _duplicate_line_share(lines: list[str]) -> float:
    """Share of the characters of `lines` taken by repeats of a line (its first occurrence not counted), after
    Gopher's duplicate-line character fraction. Session inputs of examples never count as repeats; neither does
    a line's first repeat inside a quotation: the run of lines right after a quote marker that repeat earlier
    lines (a reply quoting an earlier post). Further repeats of a quoted line count."""
    total = sum(map(len, lines))
    if not total:
        return 0.0
    seen: set[str] = set()
    quoted_once: set[str] = set()
    in_quote = False
    repeated = 0
    for line in lines:
        marker = len(line) <= _MAX_MARKER_LEN and bool(_QUOTE_MARKER.search(line))
        if line in seen and not _SESSION_INPUT.match(line):
            if in_quote and not marker and line not in quoted_once:
                quoted_once.add(line)
            else:                      # a repeated marker ("Quote:") is short boilerplate and counts
                repeated += len(line)
        elif line not in seen and not marker:
            in_quote = False           # new text: the reply after the quotation
        if marker:
            in_quote = True
        seen.add(line)
    return repeated / total


def _nsfw_count(prose_lines: list[str], table_rows: list[bool], words: set[str], nsfw_words: frozenset) -> int:
    """NSFW words in prose lines: table rows and code lines are not read, and a word that the page uses as a
    table cell or a code identifier (data-set vocabulary: a `sex` column, `group_by(sex)`) is not counted in its
    prose either. `words`: the page's lower-cased words (most pages hold none of the list)."""
    if not words & nsfw_words:
        return 0
    vocabulary: set[str] = set()
    count_in: list[str] = []
    for line, table_row in zip(prose_lines, table_rows):
        if _is_code_line(line):
            vocabulary.update(w.lower() for w in _IDENTIFIER.findall(line))
        elif table_row:                # its one-word cells: column names and values
            cells = _cells(line, _TAB_CELLS if _TAB_CELLS.search(line.strip()) else _SPACE_CELLS)
            vocabulary.update(c.lower() for c in cells if _IDENTIFIER.fullmatch(c))
        else:
            count_in.append(line)
    return sum(1 for line in count_in for w in _WORD.findall(line)
               if (lw := w.lower()) in nsfw_words and lw not in vocabulary)


def signals(text: str | None, host: str | None, opts: QualityOptions) -> dict:
    """The stored signals (SIGNALS) and `_cjk_share`, the share of the prose's words that are CJK characters,
    which is not stored: `decide` reads it to leave the mean word length of mostly-CJK prose unjudged."""
    text = (text or "")[:opts.max_chars]
    prose, math_chars, math_words = mask_and_measure(
        "\n".join(line for line in text.split("\n") if not _SESSION_INPUT.match(line)), _MATH_TOKEN)
    words = _WORD.findall(prose)
    tokens = [w for w in words if w != _MATH_WORD_TOKEN]
    prose_words = [w for w in tokens if not w.isdigit()]   # numbers are not words of the language
    spaced_words = [w for w in prose_words if len(w) > 1 or not _CJK_CHAR.match(w)]
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    para_counts = Counter(paragraphs)
    # one space around a masked formula, so that "are $n$ entries" does not read as cells split by spaces
    prose_lines = _TOKEN_SPACES.sub(_MATH_TOKEN, prose).split("\n")
    # a displayed formula (formulas alone on their line) ends a statement like a full stop
    displays = sum(len(parts) for parts in map(str.split, prose_lines)
                   if parts and set(parts) == {_MATH_WORD_TOKEN})
    non_space = sum(1 for ch in prose if not ch.isspace()) or 1
    lower_words = [w.lower() for w in prose_words]
    table_rows = [_is_table_row(line) for line in prose_lines]
    # the running prose: no table rows, and no placeholders of masked formulas (ours, not the page's)
    running_prose = "\n".join(line for line, row in zip(prose_lines, table_rows) if not row).replace(
        _MATH_WORD_TOKEN, "")
    return {
        "word_count": len(tokens) + math_words,
        "mean_word_length": (sum(map(len, spaced_words)) / len(spaced_words)) if spaced_words else 0.0,
        "symbol_ratio": len(_SYMBOL.findall(prose)) / max(len(words), 1),
        "special_char_ratio": len(_SPECIAL.findall(prose)) / non_space,
        "punctuation_ratio": (len(_PUNCT.findall(prose)) + displays) / max(len(prose_words), 1),
        "char_repetition_ratio": char_repetition_ratio(running_prose),
        "word_repetition_ratio": word_repetition_ratio(lower_words),
        "dup_line_fraction": _duplicate_line_share(lines),
        "dup_paragraph_fraction": _repeated_share(para_counts),
        "ellipsis_line_fraction": (sum(1 for l in lines if l.endswith(("...", "…"))) / len(lines)) if lines else 0.0,
        "bullet_line_fraction": (sum(1 for l in lines if _BULLET.match(l)) / len(lines)) if lines else 0.0,
        "nsfw_word_count": _nsfw_count(prose_lines, table_rows, set(lower_words), opts.nsfw_words),
        "unicode_error_count": len(_MOJIBAKE.findall(text)),
        "math_char_fraction": math_chars / len(text) if text else 0.0,
        "blocklisted": is_blocklisted(host, opts.blocklist),
        "_cjk_share": (1 - len(spaced_words) / len(prose_words)) if prose_words else 0.0,
    }


def decide(sig: dict, opts: QualityOptions) -> tuple[bool, str | None, str | None]:
    """(keep, reason, failing value): the first rule that fails, in a fixed order."""
    # a page carrying formulas may be shorter; CJK prose has no space-delimited words to measure
    min_words = opts.min_words_with_math if sig["math_char_fraction"] > 0 else opts.min_words
    spaced = sig.get("_cjk_share", 0.0) <= _MOSTLY_CJK
    rules = [
        (sig["blocklisted"], "blocklisted_domain", None),
        (sig["word_count"] < min_words, "too_few_words", sig["word_count"]),
        (sig["word_count"] > opts.max_words, "too_many_words", sig["word_count"]),
        (spaced and sig["mean_word_length"] < opts.min_mean_word_length, "mean_word_length_low",
         sig["mean_word_length"]),
        (spaced and sig["mean_word_length"] > opts.max_mean_word_length, "mean_word_length_high",
         sig["mean_word_length"]),
        (sig["symbol_ratio"] > opts.max_symbol_ratio, "symbol_ratio_high", sig["symbol_ratio"]),
        (sig["special_char_ratio"] > opts.max_special_char_ratio, "special_char_ratio_high", sig["special_char_ratio"]),
        (sig["punctuation_ratio"] < opts.min_punctuation_ratio, "punctuation_ratio_low", sig["punctuation_ratio"]),
        (sig["dup_line_fraction"] > opts.max_dup_line_fraction, "duplicate_lines_high", sig["dup_line_fraction"]),
        (sig["dup_paragraph_fraction"] > opts.max_dup_paragraph_fraction, "duplicate_paragraphs_high",
         sig["dup_paragraph_fraction"]),
        (sig["char_repetition_ratio"] > opts.max_char_repetition_ratio, "char_repetition_high",
         sig["char_repetition_ratio"]),
        (sig["word_repetition_ratio"] > opts.max_word_repetition_ratio, "word_repetition_high",
         sig["word_repetition_ratio"]),
        (sig["ellipsis_line_fraction"] > opts.max_ellipsis_line_fraction, "ellipsis_lines_high",
         sig["ellipsis_line_fraction"]),
        (sig["bullet_line_fraction"] > opts.max_bullet_line_fraction, "bullet_lines_high", sig["bullet_line_fraction"]),
        (sig["nsfw_word_count"] > opts.max_nsfw_words, "nsfw_words", sig["nsfw_word_count"]),
        (sig["unicode_error_count"] > opts.max_unicode_errors, "unicode_errors", sig["unicode_error_count"]),
    ]
    for failed, reason, value in rules:
        if failed:
            return False, reason, None if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))
    return True, None, None


def score_frame(frame: pd.DataFrame, opts: QualityOptions) -> pd.DataFrame:
    """Signals and decision for a batch (columns text, url_host): SIGNALS + keep, reason, value."""
    rows = []
    for text, host in zip(frame["text"], frame["url_host"]):
        sig = signals(text, host, opts)
        keep, reason, value = decide(sig, opts)
        rows.append({**sig, "keep": keep, "reason": reason, "value": value})
    return pd.DataFrame(rows, columns=SIGNALS + ["keep", "reason", "value"])
