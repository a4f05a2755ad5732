"""The Vietnamese and English catalogues: every string translated, the compiled files current.

CI runs ``makemessages`` first, so a new user-facing string without a Vietnamese translation
fails here."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "procurement" / "locale"


def parse_po(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for each entry; enough of the PO format for Django's output."""
    entries, msgid, msgstr, fuzzy, field = [], None, None, False, None

    def flush():
        if msgid is not None:
            entries.append((msgid, msgstr or "", fuzzy))

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,"):
            flush()
            msgid, msgstr, field = None, None, None
            fuzzy = "fuzzy" in line
        elif line.startswith("msgid "):
            if field == "msgstr":
                flush()
                fuzzy = False
            msgid, msgstr, field = ast.literal_eval(line[6:]), None, "msgid"
        elif line.startswith("msgstr "):
            msgstr, field = ast.literal_eval(line[7:]), "msgstr"
        elif line.startswith("msgstr[0] "):  # plural forms: Vietnamese has one
            msgstr, field = ast.literal_eval(line[10:]), "msgstr"
        elif line.startswith(("msgid_plural ", "msgstr[")):
            field = None
        elif line.startswith('"'):
            if field == "msgid":
                msgid += ast.literal_eval(line)
            elif field == "msgstr":
                msgstr += ast.literal_eval(line)
        elif not line.strip() and field == "msgstr":
            flush()
            msgid, msgstr, field, fuzzy = None, None, None, False
    if field == "msgstr":
        flush()
    return [e for e in entries if e[0]]  # the header has an empty msgid


@pytest.mark.parametrize("language", ["vi", "en"])
def test_catalogue_exists_and_parses(language):
    entries = parse_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 50


def test_every_string_has_a_vietnamese_translation():
    entries = parse_po(LOCALE / "vi" / "LC_MESSAGES" / "django.po")
    missing = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert missing == [], f"untranslated or fuzzy: {missing}"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_compiled_catalogue_matches_its_source(language):
    directory = LOCALE / language / "LC_MESSAGES"
    expected = {m: s for m, s, fuzzy in parse_po(directory / "django.po") if s and not fuzzy}
    with (directory / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # noqa: SLF001
    # Plural entries are keyed (msgid, form); compare the first form.
    compiled = {
        (k[0] if isinstance(k, tuple) else k): v
        for k, v in compiled.items()
        if k and (not isinstance(k, tuple) or k[1] == 0)
    }
    assert compiled == expected, "run `make messages` to recompile the catalogues"
