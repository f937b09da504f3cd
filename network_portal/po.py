"""A small reader of gettext .po files: the translation tests and `manage.py package_messages`."""

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and not self.fuzzy


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, its header (the empty msgid) left out."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int | None] | None = None
    started = False

    def finish():
        nonlocal entry, started
        if started and entry.msgid:
            entries.append(entry)
        entry, started = Entry(), False

    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            target = None
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            if started:
                finish()
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            value = ast.literal_eval(rest) if rest else ""
            if (
                keyword in {"msgctxt", "msgid"}
                and started
                and (entry.msgstr or keyword == "msgctxt")
            ):
                finish()
            started = True
            if keyword.startswith("msgstr["):
                target = ("msgstr", int(keyword[7:-1]))
                entry.msgstr[target[1]] = ""
            elif keyword == "msgstr":
                target = ("msgstr", 0)
                entry.msgstr[0] = ""
            else:
                target = (keyword, None)
                setattr(entry, keyword, "")
        if target is None:
            continue
        name, index = target
        # Only msgstr targets carry a plural index; every other keyword has None.
        if index is not None:
            entry.msgstr[index] += value
        else:
            setattr(entry, name, (getattr(entry, name) or "") + value)
    finish()
    return [e for e in entries if not e.obsolete]
