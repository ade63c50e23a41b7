"""The one error of the exports layer, in a module of its own so that writing files
(`files`) and printing them (`printing`) can both raise it without importing each other."""

from __future__ import annotations


class ExportError(OSError):
    """An export or print that could not be done, explained in one French line.

    It is an OSError so that the CLI's `friendly` decorator and any screen catching
    I/O errors show its message as is, without knowing about exports."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
