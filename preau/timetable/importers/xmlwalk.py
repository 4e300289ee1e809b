"""A streaming walk over an XML file for the readers whose data sit in small records
(STS-Web `EDT_STS` and `STS_EDT`, UnDeuxTemps `UDCal_NN.xml`): every element is handed
over once, when it ends, with its attributes, its line and the text of its leaf
children, then freed. Tag and attribute names compare in lower case, without
namespace; texts and attribute values are stripped (STS pretty-prints its text nodes).
"""

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lxml import etree

from preau.timetable.importers.base import ParseError, decode_xml_bytes, local_name


class Frame:
    """An element being read: its name, attributes, line, own text (leaves), and the
    texts of its leaf children by name, each with its line."""

    __slots__ = ("attributes", "children", "has_children", "line", "name", "text")

    def __init__(self, element):
        self.name = local_name(element.tag)
        self.attributes = {local_name(k): (v or "").strip() for k, v in element.attrib.items()}
        self.line = element.sourceline
        self.text = ""
        self.has_children = False
        self.children: dict[str, list[tuple[str, int | None]]] = {}

    def get(self, attribute: str, default: str = "") -> str:
        return self.attributes.get(attribute, default)

    def field(self, name: str, default: str = "") -> str:
        """The text of the first leaf child `name`."""
        values = self.children.get(name)
        return values[0][0] if values else default

    def field_line(self, name: str) -> int | None:
        values = self.children.get(name)
        return values[0][1] if values else self.line

    def fields(self, name: str) -> list[tuple[str, int | None]]:
        return self.children.get(name, [])


Handler = Callable[[list[Frame], Frame], None]


def where(file_name: str, line: int | None) -> str:
    return f"{file_name}, ligne {line}" if line else file_name


@contextmanager
def syntax_errors(file_name: str) -> Iterator[None]:
    try:
        yield
    except etree.XMLSyntaxError as error:
        raise ParseError(
            f"{where(file_name, error.lineno)} : XML invalide ou tronqué ({error.msg})."
        ) from error


def walk(data: bytes, file_name: str, handle: Handler, *, root: Callable | None = None) -> None:
    """Read `data`, calling `handle(ancestors, frame)` at the end of every element
    (`ancestors` from the root down to the parent). `root(frame)` is called on the
    root's start, to refuse a file that is not the one expected."""
    stack: list[Frame] = []
    with syntax_errors(file_name):
        for event, element in etree.iterparse(
            io.BytesIO(decode_xml_bytes(data)),
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            huge_tree=True,
            remove_comments=True,
            remove_pis=True,
        ):
            if event == "start":
                frame = Frame(element)
                if stack:
                    stack[-1].has_children = True
                elif root is not None:
                    root(frame)
                stack.append(frame)
                continue
            frame = stack.pop()
            if not frame.has_children:
                frame.text = (element.text or "").strip()
                # A leaf's text is kept on its parent, unless it is a record made of
                # attributes alone (`<ligfiche … />`), which the handler reads itself.
                if stack and (frame.text or not frame.attributes):
                    stack[-1].children.setdefault(frame.name, []).append((frame.text, frame.line))
            handle(stack, frame)
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
