"""Reading XML files from elsewhere safely: no DTDs, no entities, no network.

Strict reading (WordPress exports) fails with the line and column of the
first error. Lenient reading (Disqus exports, some of which are broken in
known ways) repairs what it can and says what it repaired.
"""

from __future__ import annotations

import re

from lxml import etree

from .common import ImportFileError

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_UNQUOTED_VALUE = "AttValue"
MAX_REPAIRS = 100


def _parser(*, recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=recover,
    )


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _refuse_doctype(data: bytes) -> None:
    # No export we read has a DTD; refusing any keeps entity tricks out.
    match = _DOCTYPE.search(data)
    if match:
        line, column = _position(data, match.start())
        raise ImportFileError(
            "the file declares a document type (<!DOCTYPE>); exports have none, "
            "so it is refused for safety",
            line,
            column,
        )


def _syntax_error(exc: etree.XMLSyntaxError) -> ImportFileError:
    line, column = exc.position if exc.position else (exc.lineno, None)
    message = (exc.msg or "not well-formed XML").split(", line ")[0]
    return ImportFileError(f"malformed XML: {message}", line or None, column)


def parse_strict(data: bytes) -> etree._Element:
    """The root element of well-formed XML, or ImportFileError with line and column."""
    if not data.strip():
        raise ImportFileError("the file is empty")
    _refuse_doctype(data)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from None
    if root is None:
        raise ImportFileError("the file holds no XML element")
    return root


def parse_lenient(data: bytes) -> tuple[etree._Element, list[str]]:
    """Parse, repairing known damage; returns the root and notes of what was repaired."""
    notes: list[str] = []
    if not data.strip():
        raise ImportFileError("the file is empty")
    start = data.find(b"<")
    if start > 0 and data[:start].strip():
        line, column = _position(data, 0)
        notes.append(
            f"line {line}, column {column}: ignored {len(data[:start].strip())} stray "
            "byte(s) before the XML"
        )
    data = data[start:] if start > 0 else data
    _refuse_doctype(data)
    first_error: ImportFileError | None = None
    for _ in range(MAX_REPAIRS):
        try:
            return etree.fromstring(data, _parser()), notes
        except etree.XMLSyntaxError as exc:
            error = _syntax_error(exc)
            first_error = first_error or error
            repaired = _quote_attribute(data, exc) if _UNQUOTED_VALUE in (exc.msg or "") else None
            if repaired is None:
                break
            data = repaired
            notes.append(f"line {error.line}, column {error.column}: quoted an attribute value")
    return _recover(data, notes, first_error)


def _quote_attribute(data: bytes, exc: etree.XMLSyntaxError) -> bytes | None:
    """Put quotes around the unquoted attribute value the parser stopped at."""
    line, column = exc.position
    lines = data.split(b"\n")
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1]
    # libxml2 counts columns from 1; the value starts there (or after the '=').
    start = column - 1
    if start > 0 and text[start - 1 : start] != b"=":
        eq = text.rfind(b"=", 0, start + 1)
        if eq < 0:
            return None
        start = eq + 1
    match = re.match(rb"[^\s\"'<>]+?(?=/?>|\s|$)", text[start:])
    if not match:
        return None
    end = start + match.end()
    lines[line - 1] = text[:start] + b'"' + text[start:end] + b'"' + text[end:]
    return b"\n".join(lines)


def _recover(
    data: bytes, notes: list[str], first_error: ImportFileError | None
) -> tuple[etree._Element, list[str]]:
    parser = _parser(recover=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None or len(root) == 0:
        raise first_error or ImportFileError("malformed XML that could not be recovered")
    for entry in parser.error_log:
        notes.append(f"line {entry.line}, column {entry.column}: recovered from: {entry.message}")
    return root, notes


def localname(element: etree._Element) -> str:
    """The tag without its namespace ('' for comments and other non-elements)."""
    if not isinstance(element.tag, str):
        return ""
    return etree.QName(element).localname
