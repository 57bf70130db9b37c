"""Text that came from a submission, made safe for a terminal, a spreadsheet, a file name.

Everything a submission controls (its output, exception messages, file names) is hostile: an
escape sequence can rewrite an instructor's terminal or title bar, a cell starting with `=` is a
formula in a spreadsheet, a name can be bytes that are not text or longer than a file name may
be. These helpers are the one place such text is made inert.
"""

import hashlib
import os
import re

MAX_NOTE_CHARACTERS = 2000
MAX_ID_CHARACTERS = 80

# ANSI sequences whole (CSI ... final byte; OSC/DCS/APC/PM/SOS ... up to BEL or ST), then any
# other C0 control but tab and newline, DEL, and the C1 controls.
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the same, as a C1 control
    # OSC, DCS, SOS, PM, APC strings (titles, hyperlinks) up to their terminator
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]{0,4000}(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"  # any other escape sequence (ESC c resets the terminal)
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# OWASP's CSV injection advice: a cell starting with one of these is prefixed with a quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def printable(text: str) -> str:
    """`text` as valid UTF-8 without escape sequences or control characters (tab and newline
    kept); bytes that were not text show as \\xNN."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _CONTROLS.sub("", _SEQUENCES.sub("", text))


def capped(text: str, limit: int = MAX_NOTE_CHARACTERS) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 40] + f" … ({len(text) - limit + 40} characters cut)"


def note(text: str) -> str:
    """A note for the gradebook, the report or a student: printable and capped."""
    return capped(printable(text))


def csv_cell(text: str) -> str:
    """A text cell no spreadsheet will take for a formula."""
    text = printable(text)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def display_name(name: str) -> str:
    """A file or submission name as text: bytes that are not UTF-8 shown as \\xNN, no controls."""
    return capped(printable(name).replace("\n", " ").replace("\t", " "), 300)


def file_id(name: str) -> str:
    """A short, safe file name for outputs about `name` (results/ID.json): the name itself when
    it is plain, otherwise its safe characters and a digest that keeps distinct names apart."""
    if _ID_UNSAFE.search(name) is None and len(name) <= MAX_ID_CHARACTERS and name[0] != ".":
        return name
    raw = os.fsencode(name) if isinstance(name, str) else name
    digest = hashlib.sha256(raw).hexdigest()[:10]
    stem = _ID_UNSAFE.sub("_", name.encode("ascii", "replace").decode()).strip("._")
    return f"{stem[: MAX_ID_CHARACTERS - 11]}-{digest}" if stem else digest
