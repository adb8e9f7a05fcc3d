"""Every level a pair can reach, in every comparison the model has, has its words on a review page in
es-MX and English: a level added to the model without them was shown to reviewers as its English
identifier (session 13: "MARIA or JOSE alone")."""

from __future__ import annotations

from interop.matching.spec import COMPARISON_BY_NAME
from interop.web import evidence_words  # noqa: F401  (registers the words)
from interop.web.case_words import word


def test_every_level_of_every_comparison_has_its_words_in_both_languages() -> None:
    missing = [
        (comparison.name, level.label, language)
        for comparison in COMPARISON_BY_NAME.values()
        for level in comparison.levels
        for language in ("es-MX", "en")
        if word(language, f"evidence.level.{level.label}", "") == ""
    ]
    assert missing == []
    assert (
        word("es-MX", "evidence.level.MARIA or JOSE alone", "")
        == "MARÍA o JOSÉ solo, por el nombre compuesto"
    )
