"""Checks of uploaded meeting materials: the file's type by its content, its size and a safe
name to store it under.

A file's extension and the Content-Type the browser sends are the uploader's word; the bytes
are not. A file is accepted when its first bytes (or, for the office formats, which are ZIP
archives, the archive's table of contents) are those of the type its extension claims. The
archive is never extracted: only its list of names and the small `mimetype` entry are read,
so a ZIP bomb costs nothing. No library is installed that does this for these few types.
"""

import os
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

# The longest name kept (without the directory), so that the stored path fits the field.
MAX_NAME_LENGTH = 120
# How much of a file is read to recognise it.
HEAD_BYTES = 8


@dataclass(frozen=True)
class FileType:
    extensions: tuple[str, ...]
    content_type: str
    # Shown in the browser; everything else is downloaded.
    inline: bool = False


PDF = FileType(("pdf",), "application/pdf")
PNG = FileType(("png",), "image/png", inline=True)
JPEG = FileType(("jpg", "jpeg"), "image/jpeg", inline=True)
DOCX = FileType(
    ("docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)
XLSX = FileType(("xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PPTX = FileType(
    ("pptx",), "application/vnd.openxmlformats-officedocument.presentationml.presentation"
)
ODT = FileType(("odt",), "application/vnd.oasis.opendocument.text")
ODS = FileType(("ods",), "application/vnd.oasis.opendocument.spreadsheet")
ODP = FileType(("odp",), "application/vnd.oasis.opendocument.presentation")

FILE_TYPES = (PDF, PNG, JPEG, DOCX, XLSX, PPTX, ODT, ODS, ODP)
ALLOWED_EXTENSIONS = tuple(ext for file_type in FILE_TYPES for ext in file_type.extensions)
BY_EXTENSION = {ext: file_type for file_type in FILE_TYPES for ext in file_type.extensions}
BY_CONTENT_TYPE = {file_type.content_type: file_type for file_type in FILE_TYPES}

# The part of an Office Open XML package that makes it a document, a workbook or slides.
OOXML_MAIN_PARTS = {
    "word/document.xml": DOCX,
    "xl/workbook.xml": XLSX,
    "ppt/presentation.xml": PPTX,
}
ODF_MIMETYPES = {ODT.content_type: ODT, ODS.content_type: ODS, ODP.content_type: ODP}


def allowed_extensions_text() -> str:
    return ", ".join(ext for ext in ALLOWED_EXTENSIONS if ext != "jpeg")


def safe_filename(name: str) -> str:
    """The name a file is stored and downloaded under: no directories (a browser may send
    `..\\..\\x` or `/etc/passwd`), no control characters, only letters, digits, `-_.`, at
    most MAX_NAME_LENGTH characters with the extension kept."""
    name = unicodedata.normalize("NFC", str(name))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    try:
        name = get_valid_filename(name)
    except SuspiciousFileOperation:
        name = ""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = extension.lower()[:10]
    stem = stem.strip("._-")[: MAX_NAME_LENGTH - len(extension) - 1] or "file"
    return f"{stem}.{extension}" if extension else stem


def sniff(uploaded) -> FileType | None:
    """The type the file's content shows, or None for anything else."""
    uploaded.seek(0)
    head = uploaded.read(HEAD_BYTES)
    uploaded.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            return _zip_type(uploaded)
        finally:
            uploaded.seek(0)
    return None


def _zip_type(uploaded) -> FileType | None:
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                with archive.open(info) as entry:
                    mimetype = entry.read(100).decode("ascii", "replace").strip()
                return ODF_MIMETYPES.get(mimetype)
            if "[Content_Types].xml" in names:
                found = [t for part, t in OOXML_MAIN_PARTS.items() if part in names]
                return found[0] if len(found) == 1 else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return None
    return None


def validate_upload(uploaded) -> tuple[str, FileType]:
    """Check an uploaded file; returns its safe name and its type, or raises ValidationError
    with a message for the uploader."""
    limit = settings.MATERIAL_MAX_UPLOAD_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            _("The file is %(size)s; files can be at most %(limit)s."),
            params={"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if uploaded.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    name = safe_filename(uploaded.name)
    extension = os.path.splitext(name)[1].lstrip(".").lower()
    claimed = BY_EXTENSION.get(extension)
    if claimed is None:
        raise ValidationError(
            _("Files of this type cannot be uploaded. Allowed types: %(types)s."),
            params={"types": allowed_extensions_text()},
            code="type",
        )
    if sniff(uploaded) is not claimed:
        raise ValidationError(
            _(
                "The file's content is not a valid %(type)s file. Save it again as %(type)s, "
                "or upload it in one of these types: %(types)s."
            ),
            params={"type": extension.upper(), "types": allowed_extensions_text()},
            code="content",
        )
    return name, claimed
