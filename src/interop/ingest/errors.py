"""Errors of the import domain. Messages name files, columns, lines and encodings, never cell values."""

from __future__ import annotations

from interop.errors import DomainError, Forbidden, InsufficientStorage, Invalid, NotFound


class FileRefused(Invalid):
    """The whole file cannot be imported (encoding, header, emptiness); nothing was stored."""

    code = "file-refused"


class ImportNotFound(NotFound):
    code = "import-not-found"


class ImportForbidden(Forbidden):
    code = "import-forbidden"


class UnknownKind(Invalid):
    code = "unknown-import-kind"


class UploadStorageFull(InsufficientStorage):
    code = "upload-storage-full"


class UploadTooLarge(DomainError):
    status_code = 413
    code = "upload-too-large"
    fhir_issue = "too-costly"
