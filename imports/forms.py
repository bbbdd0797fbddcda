from __future__ import annotations

from django import forms


class UploadForm(forms.Form):
    file = forms.FileField(label="A file: CSV, JSON or JSON-LD", allow_empty_file=False)


class UrlForm(forms.Form):
    url = forms.URLField(label="Or the address of a recipe page", max_length=2000, assume_scheme="https")
