"""Upload limits enforced while the body streams in: size, and content that matches the file type.

Django buffers an upload whole (in memory or a temporary file) before a view
sees it; the views check the size and extension only then. `LimitedUploadHandler`
runs first in ``settings.FILE_UPLOAD_HANDLERS`` and refuses an upload as soon as
it is known to be too large (the request's declared length, before anything is
read; else the bytes received) or its content contradicts its extension (an
``.xlsx`` is a zip archive; a ``.csv`` is UTF-8 text without NUL bytes).
`UploadLimitMiddleware` then answers with a clear page (413 or 415; JSON under
``/api/``) instead of calling the view, so nothing is saved.

The limits follow the page (by URL name), from the constants the views use:
offers 5 MB ``.xlsx``/``.csv``, scenarios 20 MB ``.xlsx``, evidence (page and API)
``NSATU_EVIDENCE_MAX_BYTES`` of ``.pdf``/``.png``/``.jpg``/``.xlsx`` whose first
bytes match the type; any other page
``NSATU_UPLOAD_MAX_BYTES`` and ``.xlsx``/``.csv`` (no other page takes files).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template import engines
from django.urls import Resolver404, resolve
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

# Room in the request, beyond the files, for the other fields and the multipart headers.
ENVELOPE_BYTES = 64 * 1024
ZIP_SIGNATURE = b"PK\x03\x04"  # every .xlsx is a zip archive starting with a local file header
# How files of each binary type begin; an upload whose start contradicts its extension is refused.
CONTENT_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".xlsx": (ZIP_SIGNATURE,),
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
KNOWN_EXTENSIONS = (*CONTENT_SIGNATURES, ".csv")
REFUSAL = "_nsatu_upload_refusal"


@dataclass(frozen=True)
class UploadLimit:
    """What one page accepts: at most ``max_bytes`` of files, of these extensions."""

    max_bytes: int
    extensions: tuple[str, ...]
    # the page's view checks the extension itself (with its own message): do not refuse by name here
    view_checks_extension: bool = False

    @property
    def megabytes(self) -> int:
        return self.max_bytes // (1024 * 1024)


@dataclass(frozen=True)
class Refusal:
    status: int  # 413 too large, 415 wrong content
    message: str


def page_limits() -> dict[str, UploadLimit]:
    """The pages that take files, by URL name, with the limits their views also apply."""
    from nsatu.offers.upload import MAX_UPLOAD_BYTES as OFFERS
    from nsatu.planning.workbooks import MAX_UPLOAD_BYTES as SCENARIOS

    evidence = UploadLimit(
        int(getattr(settings, "NSATU_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)),
        (".pdf", ".png", ".jpg", ".jpeg", ".xlsx"),
    )
    return {
        "offer-upload": UploadLimit(OFFERS, (".xlsx", ".csv"), view_checks_extension=True),
        "scenario-import": UploadLimit(SCENARIOS, (".xlsx",), view_checks_extension=True),
        "evidence-upload": evidence,
        "api-evidence": evidence,
    }


def limit_for(request: HttpRequest) -> UploadLimit:
    """The limit of the page the request goes to (the default one for any other page)."""
    try:
        name = resolve(request.path_info).url_name
    except Resolver404:
        name = None
    default = UploadLimit(
        int(getattr(settings, "NSATU_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)), (".xlsx", ".csv")
    )
    return page_limits().get(name or "", default)


def refusal_of(request: HttpRequest) -> Refusal | None:
    """The refusal the handler recorded while reading the request's files, if any."""
    refusal: Refusal | None = getattr(request, REFUSAL, None)
    return refusal


class LimitedUploadHandler(FileUploadHandler):
    """Passes chunks on to Django's handlers, stopping the upload once it breaks the page's limit."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = limit_for(request) if request is not None else None
        self.received = 0
        self.kind = ""
        self.head = b""
        self.decoder: codecs.IncrementalDecoder | None = None

    def _refuse(self, status: int, message: str) -> None:
        if self.request is not None:
            setattr(self.request, REFUSAL, Refusal(status, message))
        # Nothing more is kept; what is left of the body is under ENVELOPE_BYTES (the declared
        # length passed handle_raw_input), so it is read and dropped and the connection stays usable.
        raise StopUpload(connection_reset=False)

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, str],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, UploadedFile]] | None:
        """Refuse before reading anything when the request says it is larger than the limit."""
        if self.limit is not None and content_length > self.limit.max_bytes + ENVELOPE_BYTES:
            if self.request is not None:
                message = _("The upload is larger than %(mb)s MB.") % {"mb": self.limit.megabytes}
                setattr(self.request, REFUSAL, Refusal(413, message))
            return QueryDict(), MultiValueDict()  # the body is left unread
        return None

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        name = file_name.lower()
        self.kind = next((e for e in KNOWN_EXTENSIONS if name.endswith(e)), "")
        self.head = b""
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")() if self.kind == ".csv" else None
        if self.limit is None:
            return
        if not self.limit.view_checks_extension and self.kind not in self.limit.extensions:
            self._refuse(
                415,
                _("%(file)s: only %(types)s files can be uploaded here")
                % {"file": file_name, "types": ", ".join(self.limit.extensions)},
            )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.limit is not None and self.received > self.limit.max_bytes:
            self._refuse(
                413,
                _("%(file)s: the file is larger than %(mb)s MB")
                % {"file": self.file_name, "mb": self.limit.megabytes},
            )
        signatures = CONTENT_SIGNATURES.get(self.kind, ())
        wanted = max((len(sig) for sig in signatures), default=0)
        if signatures and len(self.head) < wanted:
            self.head += raw_data[: wanted - len(self.head)]
            if not any(sig.startswith(self.head[: len(sig)]) for sig in signatures):
                self._wrong_content()
        elif self.decoder is not None:
            self._check_text(raw_data, final=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        signatures = CONTENT_SIGNATURES.get(self.kind, ())
        if signatures and not any(self.head.startswith(sig) for sig in signatures):
            self._wrong_content()  # shorter than its signature, or empty
        if self.decoder is not None:
            self._check_text(b"", final=True)
        return None  # the next handler (memory or temporary file) returns the file

    def _wrong_content(self) -> None:
        if self.kind == ".xlsx":
            message = _(
                "%(file)s is not an Excel workbook: an .xlsx file is a zip archive, and this one is not"
            )
        else:
            message = _("%(file)s is not a %(type)s file: its content does not match its name")
        self._refuse(415, message % {"file": self.file_name, "type": self.kind.lstrip(".").upper()})

    def _check_text(self, data: bytes, *, final: bool) -> None:
        assert self.decoder is not None
        try:
            text = self.decoder.decode(data, final=final)
        except UnicodeDecodeError:
            text = "\0"
        if "\0" in text:
            self._refuse(
                415,
                _("%(file)s is not a CSV file: a .csv file must be UTF-8 text") % {"file": self.file_name},
            )


REFUSAL_PAGE = """{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block content %}<h1>{{ title }}</h1>
<p class="error" role="alert" data-testid="upload-refused">{{ message }}</p>
<p>{{ advice }}</p>
<p><a href="{{ back }}">{{ back_label }}</a></p>{% endblock %}"""


def refusal_response(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """The answer to a refused upload: a page, or JSON for the API."""
    if request.path_info.startswith("/api/"):
        response = HttpResponse(
            json.dumps({"detail": refusal.message}), status=refusal.status, content_type="application/json"
        )
    else:
        page = engines["django"].from_string(REFUSAL_PAGE)
        context = {
            "title": _("Upload refused"),
            "message": refusal.message,
            "advice": _("Nothing was saved. Choose another file and upload it again."),
            "back": request.path,
            "back_label": _("Back to the upload form"),
        }
        response = HttpResponse(page.render(context, request), status=refusal.status)
    return response


class UploadLimitMiddleware:
    """Reads a multipart request's files through the upload handlers first; answers a refusal itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type == "multipart/form-data":
            request.FILES  # noqa: B018 - parse now, through LimitedUploadHandler
            refusal = refusal_of(request)
            if refusal is not None:
                return refusal_response(request, refusal)
        return self.get_response(request)
