"""Uploads go to temporary files, never into memory whole, and stop being stored past a limit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler

REFUSED = "_brigade_upload_refused"  # request attribute: why a file was left out


class CappedUploadHandler(TemporaryFileUploadHandler):
    """A file growing past UPLOAD_MAX_BYTES is dropped (the rest of it is read and thrown away), and
    the request says so: views answer with the limit instead of a missing file."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> Any:
        if start + len(raw_data) > settings.UPLOAD_MAX_BYTES:
            setattr(self.request, REFUSED, f"{(self.file_name or 'the file')[:100]} is over the upload limit")
            self.file.close()
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


def upload_refused(request: Any) -> str | None:
    """Why an uploaded file was left out of request.FILES, if one was."""
    return getattr(request, REFUSED, None)
