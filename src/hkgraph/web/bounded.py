"""Request bodies read with a limit that holds while they stream in, and forms parsed the same way.

Datasette's ``request.post_body()`` reads the whole body before anyone can look at its size, so a
100 MB POST is read in full before a 413. :func:`read_body` stops at the first chunk past the limit,
whether or not the client sent a Content-Length (chunked uploads have none); :func:`read_form` parses
``multipart/form-data`` and urlencoded forms with python-multipart's streaming parser under the same
limit, instead of a hand-made parser that needs the whole body in memory.
"""

from __future__ import annotations

from typing import Any

from python_multipart import FormParser
from python_multipart.exceptions import FormParserError


class BodyTooLargeError(Exception):
    """The request body is larger than the limit (answered 413)."""

    status = 413


class BadFormError(Exception):
    """The body is not the form its Content-Type says (answered 400)."""

    status = 400


def _too_large(limit: int) -> BodyTooLargeError:
    return BodyTooLargeError(f"the request body is larger than {limit:,} bytes")


async def chunks(request: Any, limit: int) -> Any:
    """The body's chunks as they arrive; raises :class:`BodyTooLargeError` as soon as ``limit`` is passed."""
    length = request.headers.get("content-length")
    if length is not None and length.strip().isdigit() and int(length) > limit:
        raise _too_large(limit)
    seen = 0
    more = True
    while more:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise BadFormError("the client closed the connection before sending the whole body")
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            raise _too_large(limit)
        if chunk:
            yield chunk
        more = message.get("more_body", False)


async def read_body(request: Any, limit: int) -> bytes:
    """The whole body, refused with :class:`BodyTooLargeError` while it streams in once past ``limit``."""
    parts = [chunk async for chunk in chunks(request, limit)]
    return b"".join(parts)


async def read_form(request: Any, limit: int, *, max_fields: int = 50) -> dict[str, tuple[str | None, bytes]]:
    """Fields of a urlencoded or multipart form: name → (file name or None, bytes).

    The body is parsed as it streams in; its size, and so each field's, is bounded by ``limit``.
    """
    content_type = request.headers.get("content-type", "")
    fields: dict[str, tuple[str | None, bytes]] = {}

    def on_field(field: Any) -> None:
        if len(fields) >= max_fields:
            raise BadFormError(f"the form has more than {max_fields} fields")
        name = field.field_name.decode("utf-8", "replace") if field.field_name else ""
        fields.setdefault(name, (None, field.value or b""))

    def on_file(file: Any) -> None:
        if len(fields) >= max_fields:
            raise BadFormError(f"the form has more than {max_fields} fields")
        name = file.field_name.decode("utf-8", "replace") if file.field_name else ""
        file.file_object.seek(0)
        data = file.file_object.read()
        file.close()
        filename = file.file_name.decode("utf-8", "replace") if file.file_name else None
        fields.setdefault(name, (filename, data))

    media, boundary = _content_type(content_type)
    if media == "multipart/form-data" and not boundary:
        raise BadFormError("a multipart/form-data body needs a boundary in its Content-Type")
    try:
        parser = FormParser(media, on_field, on_file, boundary=boundary,
                            config={"MAX_MEMORY_FILE_SIZE": limit + 1, "MAX_BODY_SIZE": limit})
    except (FormParserError, ValueError) as exc:
        raise BadFormError(f"the form cannot be read: {exc}") from None
    try:
        async for chunk in chunks(request, limit):
            parser.write(chunk)
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        raise BadFormError(f"the form cannot be read: {exc}") from None
    return fields


def _content_type(header: str) -> tuple[str, bytes | None]:
    """(media type, boundary) for python-multipart."""
    from python_multipart.multipart import parse_options_header

    media, options = parse_options_header(header)
    boundary = options.get(b"boundary")
    return media.decode("latin-1"), boundary
