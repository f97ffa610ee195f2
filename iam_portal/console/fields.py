"""Form fields the console's pages share."""

from __future__ import annotations

from django import forms


class PolicyDocumentField(forms.CharField):
    """A JSON policy document as typed. Not stripped, so that the engine's line and column point into
    the text; the CRLF line ends browsers send a textarea with become LF, so that the stored document
    and those positions are the ones the live editor showed."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs["strip"] = False
        super().__init__(**kwargs)

    def to_python(self, value: object) -> str:
        return super().to_python(value).replace("\r\n", "\n")
