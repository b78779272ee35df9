"""Every quality rule on real text (seed paragraphs from real pages), with exact signals and reasons."""
from __future__ import annotations

import dataclasses
import re

import pytest

from jobs import quality as quality_stage
from tests.conftest import DATA, make_config
from udfs import quality

OPTS = quality_stage.options(make_config())   # the shipped configuration and word lists


def seed(name: str, line: int) -> str:
    """Line `line` (1-based, as in the seed's sources.tsv) of a seed file."""
    with open(DATA / "seed" / name, encoding="utf-8") as fh:
        for i, text in enumerate(fh, 1):
            if i == line:
                return text.rstrip("\n")
    raise IndexError(line)


# Real prose: a Live Science report (article-extraction-benchmark), a Stacks project proof full of LaTeX,
# and PostgreSQL documentation.
NEWS = seed("non_math_negative.txt", 2289)
STACKS = seed("math_positive.txt", 967)
DOCS = seed("non_math_negative.txt", 4100)


def sentences(text: str) -> list[str]:
    return [s.strip() + "." for s in text.split(". ") if s.strip()]


def judge(text: str, host: str | None = "example.org") -> tuple[dict, tuple]:
    sig = quality.signals(text, host, OPTS)
    return sig, quality.decide(sig, OPTS)


def test_real_news_prose_passes_with_exact_signals():
    sig, decision = judge(NEWS)
    assert decision == (True, None, None)
    assert sig["word_count"] == len(re.findall(r"\w+", NEWS)) == 266
    assert sig["symbol_ratio"] == 0.0
    assert sig["nsfw_word_count"] == 0 and sig["unicode_error_count"] == 0
    assert sig["math_char_fraction"] == 0.0


def test_latex_is_not_punished():
    sig, decision = judge(STACKS)
    assert decision == (True, None, None)
    assert sig["math_char_fraction"] > 0.2
    assert sig["special_char_ratio"] < 0.01   # masked: braces, carets and backslashes do not count


def test_too_few_words():
    twenty = " ".join([w for w in NEWS.split() if w.isalpha()][:20])
    assert judge(twenty)[1] == (False, "too_few_words", "20")


def test_blocklisted_domain_and_subdomains():
    assert judge(NEWS, "www.pornhub.com")[1] == (False, "blocklisted_domain", None)
    assert judge(NEWS, "pornhub.com")[1] == (False, "blocklisted_domain", None)
    assert judge(NEWS, "notpornhub.com")[1] == (True, None, None)
    assert judge(NEWS, None)[1] == (True, None, None)


def test_mean_word_length_high():
    words = NEWS.split()
    words = [w for w in words if w.isalpha()]
    glued = " ".join("".join(words[i:i + 3]) + "." for i in range(0, len(words), 3))
    sig, decision = judge(glued)
    assert decision[:2] == (False, "mean_word_length_high")
    assert float(decision[2]) == pytest.approx(sig["mean_word_length"], abs=1e-4)


def test_symbol_ratio_high():
    words = NEWS.split()
    tagged = " ".join(("#" + w) if i % 5 == 0 else w for i, w in enumerate(words))
    sig, decision = judge(tagged)
    assert decision == (False, "symbol_ratio_high", "0.1917")
    assert sig["symbol_ratio"] == tagged.count("#") / sig["word_count"]


def test_punctuation_ratio_low():
    bare = "".join(ch for ch in NEWS if ch not in ".,;:!?")
    assert judge(bare)[1] == (False, "punctuation_ratio_low", "0.0000")


def test_char_repetition_high():
    laughing = NEWS + " " + "hahaha! " * 500    # comment-section spam after a real article
    sig, decision = judge(laughing)
    assert decision[:2] == (False, "char_repetition_high")
    assert float(decision[2]) == pytest.approx(sig["char_repetition_ratio"], abs=1e-4)
    assert sig["char_repetition_ratio"] > OPTS.max_char_repetition_ratio


def test_word_repetition_high():
    looped = " ".join(sentences(NEWS)[:2] * 4)   # a paragraph pasted four times on one line
    sig, decision = judge(looped)
    assert decision[:2] == (False, "word_repetition_high")
    assert sig["word_repetition_ratio"] > 0.7


def test_duplicate_lines_high():
    lines = sentences(NEWS)
    text = "\n".join(lines[:4] * 3 + lines[4:])
    sig, decision = judge(text)
    assert decision[:2] == (False, "duplicate_lines_high")
    first4 = sum(len(s) for s in lines[:4])
    assert sig["dup_line_fraction"] == pytest.approx(2 * first4 / (3 * first4 + sum(len(s) for s in lines[4:])))


def test_duplicate_paragraphs_high():
    # a repeated paragraph repeats its lines too, so the line rule is switched off to see this one
    opts = dataclasses.replace(OPTS, max_dup_line_fraction=1.0)
    paragraphs = ["\n".join(sentences(NEWS)[:3]), DOCS, "\n".join(sentences(NEWS)[:3])]
    sig = quality.signals("\n\n".join(paragraphs), "example.org", opts)
    first = len("\n".join(sentences(NEWS)[:3]))
    assert sig["dup_paragraph_fraction"] == pytest.approx(first / (2 * first + len(DOCS)))
    assert quality.decide(sig, opts)[:2] == (False, "duplicate_paragraphs_high")


def test_ellipsis_lines_high():
    text = "\n".join(s[:-1] + "..." for s in sentences(NEWS))
    assert judge(text)[1] == (False, "ellipsis_lines_high", "1.0000")


def test_bullet_lines_high():
    text = "\n".join("• " + s for s in sentences(NEWS))
    assert judge(text)[1] == (False, "bullet_lines_high", "1.0000")


def test_nsfw_words_are_counted():
    text = NEWS + " porn xxx nude naked"
    assert judge(text)[1] == (False, "nsfw_words", "4")
    assert judge(NEWS + " porn xxx nude")[1] == (True, None, None)


def test_unicode_errors_from_mojibake():
    mojibake = (NEWS + " Café São Paulo Zürich — naïve résumé. " * 4).encode("utf-8").decode("latin-1")
    sig, decision = judge(mojibake)
    assert decision[:2] == (False, "unicode_errors")
    assert sig["unicode_error_count"] == int(decision[2])


def test_word_lists_load_without_comments():
    assert "porn" in OPTS.nsfw_words and not any(w.startswith("#") for w in OPTS.nsfw_words)
    assert "xvideos.com" in OPTS.blocklist


def test_a_stray_tex_delimiter_does_not_swallow_the_page():
    """`\\(` in one paragraph and `\\)` two paragraphs later are not one formula."""
    text = f"Escape a parenthesis as \\( in a pattern.\n\n{NEWS}\n\nClose it with \\) afterwards."
    sig, decision = judge(text)
    assert decision == (True, None, None)
    assert sig["math_char_fraction"] == 0.0
    assert sig["word_count"] > 250


def test_a_formula_counts_its_words():
    # 8 prose words and a displayed formula of 28 words: f x \frac 1 \sqrt 2 \pi e x 2 2 \quad F x \frac 1 2
    # \frac 1 2 \operatorname erf \left \frac x \sqrt 2 \right
    text = ("The density of the standard normal distribution is\n\n"
            "\\[f(x) = \\frac{1}{\\sqrt{2\\pi}} e^{-x^{2}/2}, \\quad F(x) = \\frac{1}{2} + \\frac{1}{2}"
            "\\operatorname{erf}\\left(\\frac{x}{\\sqrt{2}}\\right)\\]")
    sig = quality.signals(text, None, OPTS)
    assert sig["word_count"] == 8 + 28
    assert quality.decide(sig, OPTS) == (False, "too_few_words", "36")
    longer = text + "\n\nIts mean is zero, its variance is one, and it is symmetric about the origin."
    assert quality.signals(longer, None, OPTS)["word_count"] == 36 + 15
    assert quality.decide(quality.signals(longer, None, OPTS), OPTS) == (True, None, None)


def test_session_inputs_of_examples_are_not_prose():
    # an API page: each example repeats its set-up line; the prompts are code, not repeated boilerplate
    block = ("EXAMPLES:\n\nsage: R.<x,y> = PolynomialRing(QQ)\nsage: I = R.ideal(x^2 - y, y^3 - 1)\n"
             "sage: I.groebner_basis()\n[x^2 - y, y^3 - 1]")
    prose = sentences(NEWS)[:6]
    assert len(set(prose)) == 6
    text = "\n\n".join(p + "\n\n" + block for p in prose)
    sig = quality.signals(text, None, OPTS)
    # all lines count in the total; only "EXAMPLES:" and "[x^2 - y, y^3 - 1]" count as repeats (5 each)
    pair = len("EXAMPLES:") + len("[x^2 - y, y^3 - 1]")
    inputs = len("sage: R.<x,y> = PolynomialRing(QQ)sage: I = R.ideal(x^2 - y, y^3 - 1)sage: I.groebner_basis()")
    assert sig["dup_line_fraction"] == pytest.approx(5 * pair / (sum(map(len, prose)) + 6 * (pair + inputs)))
    # the same lines without prompts are repeated text and count in full
    plain = quality.signals(text.replace("sage: ", ""), None, OPTS)
    block_chars = pair + len("R.<x,y> = PolynomialRing(QQ)I = R.ideal(x^2 - y, y^3 - 1)I.groebner_basis()")
    assert plain["dup_line_fraction"] == pytest.approx(5 * block_chars / (sum(map(len, prose)) + 6 * block_chars))


def test_numbers_are_not_short_words():
    text = NEWS + " " + " ".join(str(i) for i in range(1, 200))
    assert quality.signals(text, None, OPTS)["mean_word_length"] == quality.signals(NEWS, None, OPTS)[
        "mean_word_length"]
    assert quality.signals(text, None, OPTS)["word_count"] == 266 + 199
