"""What the timetable parsers share: their error, tolerant XML decoding, names."""

import re

BOM = b"\xef\xbb\xbf"
_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class ParseError(ValueError):
    """A file refused as a whole; the message names the file, line or element."""


def local_name(tag) -> str:
    """`{namespace}Cours` → `cours`: names compare without namespace or case."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def decode_xml_bytes(data: bytes) -> bytes:
    """XML bytes lxml can read whatever the export did: a byte-order mark, or a file
    declared (or not declared) UTF-8 but written in ISO-8859-15, as some exports are."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    declared = _DECLARATION.match(data[:300])
    encoding = declared.group(1).decode().lower() if declared else "utf-8"
    if encoding.replace("_", "-") not in ("utf-8", "utf8"):
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("iso-8859-15")
        if declared:
            start, end = declared.span(1)
            return data[:start] + b"UTF-8" + text.encode("utf-8")[end:]
        return text.encode("utf-8")
    return data
