"""The catalogues follow the glossary (docs/glossary.md): for each of its terms, no Nynorsk or
Bokmål translation of a text that contains the English term uses a word the glossary tells
translators to avoid for it."""

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from network_portal.po import read_po

PROJECT = Path(settings.BASE_DIR)
GLOSSARY = PROJECT / "docs" / "glossary.md"
COLUMNS = ["English", "Nynorsk", "Bokmål", "Avoid in nn", "Avoid in nb", "Note"]
# What is not a word of the text: placeholders, markup and <code> values (the contact-person
# file's column names, typed as they are).
NOT_WORDS = re.compile(
    r"<code>.*?</code>|<[^>]+>|%\([^)]+\)[sdr]|%[sd]|\{\{[^}]*\}\}|\{[a-z_]*\}", re.S
)
WORD = re.compile(r"[\w-]+")


@dataclass
class Term:
    english: list[str]
    avoid: dict[str, list[str]]

    def pattern(self) -> re.Pattern:
        alternatives = "|".join(re.escape(term) for term in self.english)
        return re.compile(rf"(?<![\w-])(?:{alternatives})(?:s|es)?(?![\w-])", re.I)


def split_list(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(",") if item.strip() not in {"", "—"}]


def read_glossary(text: str) -> list[Term]:
    """The rows of the glossary's table; a parenthesis in the English column is a note."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert header == COLUMNS, f"The glossary's columns are {COLUMNS}, not {header}"
    terms = []
    for row in rows[2:]:
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        assert len(cells) == len(COLUMNS), f"A glossary row needs {len(COLUMNS)} cells: {row}"
        english = split_list(re.sub(r"\(.*?\)", "", cells[0]))
        terms.append(
            Term(
                english=[term.lower() for term in english],
                avoid={"nn": split_list(cells[3]), "nb": split_list(cells[4])},
            )
        )
    return terms


def avoided_words(translation: str, avoid: list[str]) -> list[str]:
    words = {word.lower() for word in WORD.findall(NOT_WORDS.sub(" ", translation))}
    found = []
    for avoided in avoid:
        # A single avoided word is matched against each word of the translation; two or more
        # ("logge på") against the words in sequence.
        parts = avoided.lower().split()
        if len(parts) == 1:
            found += sorted(word for word in words if fnmatch.fnmatchcase(word, parts[0]))
        elif re.search(
            r"(?<![\w-])" + r"\s+".join(re.escape(part) for part in parts) + r"(?![\w-])",
            NOT_WORDS.sub(" ", translation),
            re.I,
        ):
            found.append(avoided)
    return found


def catalogues(language: str) -> list[Path]:
    return sorted(
        path
        for folder in ("locale", "locale_packages")
        for path in (PROJECT / folder / language / "LC_MESSAGES").glob("*.po")
    )


def glossary_problems(terms: list[Term], language: str, entries) -> list[str]:
    problems = []
    for term in terms:
        pattern = term.pattern()
        for where, entry in entries:
            for index, text in entry.msgstr.items():
                source = entry.msgid_plural if index and entry.msgid_plural else entry.msgid
                if not pattern.search(NOT_WORDS.sub(" ", source)):
                    continue
                found = avoided_words(text, term.avoid[language])
                if found:
                    problems.append(
                        f"{where}: {term.english[0]!r} in {entry.msgid!r} "
                        f"is translated with {found}: {text!r}"
                    )
    return problems


def test_the_glossary_has_the_domain_terms():
    terms = read_glossary(GLOSSARY.read_text(encoding="utf-8"))
    english = {name for term in terms for name in term.english}
    for name in (
        "meeting",
        "registration",
        "waiting list",
        "contact person",
        "coordinator",
        "municipality",
        "project idea",
        "e-mail address",
    ):
        assert name in english
    assert all(term.avoid["nn"] or term.avoid["nb"] for term in terms if term.english)


@pytest.mark.parametrize("language", ["nn", "nb"])
def test_catalogues_follow_the_glossary(language):
    terms = read_glossary(GLOSSARY.read_text(encoding="utf-8"))
    entries = [
        (str(path.relative_to(PROJECT)), entry)
        for path in catalogues(language)
        for entry in read_po(path)
    ]
    # The check looks at the texts: hundreds of them name a glossary term.
    named = sum(
        1 for term in terms for _where, entry in entries if term.pattern().search(entry.msgid)
    )
    assert named > 500
    problems = glossary_problems(terms, language, entries)
    assert not problems, "\n".join(problems)


def test_the_glossary_check_finds_an_avoided_word():
    from network_portal.po import Entry

    glossary = (
        "| English | Nynorsk | Bokmål | Avoid in nn | Avoid in nb | Note |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        "| registration | påmelding | påmelding | registrering* | — | |\n"
        "| e-mail, email | e-post | e-post | epost*, logge på | — | |\n"
    )
    terms = read_glossary(glossary)
    entries = [
        ("a", Entry(msgid="Registrations", msgstr={0: "Registreringar"})),
        ("b", Entry(msgid="Your email", msgstr={0: "Eposten din"})),
        ("c", Entry(msgid="Email: %(email)s", msgstr={0: "E-post: %(email)s"})),
        ("d", Entry(msgid="Registered", msgstr={0: "Registrert"})),
        ("e", Entry(msgid="Sign in by email", msgstr={0: "Logge  på med e-post"})),
        ("f", Entry(msgid="<code>email</code> column", msgstr={0: "<code>epost</code>"})),
    ]
    problems = glossary_problems(terms, "nn", entries)
    assert [problem.split(":")[0] for problem in problems] == ["a", "b", "e"]
    assert glossary_problems(terms, "nb", entries) == []
