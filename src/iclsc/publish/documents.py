"""A small document model rendered both as Markdown and as HTML.

The methodology and the changelog are written once as blocks and published in both forms, so
that the two never disagree and no Markdown converter is needed. Inline text may hold
`code` spans (backticks); everything else is escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Block:
    kind: str  # h1, h2, h3, p, ul, table
    text: str = ""
    items: tuple = ()
    header: tuple = ()
    anchor: str = ""


def h1(text: str) -> Block:
    return Block("h1", text)


def h2(text: str, anchor: str = "") -> Block:
    return Block("h2", text, anchor=anchor)


def h3(text: str) -> Block:
    return Block("h3", text)


def p(text: str) -> Block:
    return Block("p", " ".join(text.split()))


def ul(items) -> Block:
    return Block("ul", items=tuple(" ".join(str(i).split()) for i in items))


def table(header, rows) -> Block:
    return Block("table", header=tuple(header), items=tuple(tuple(str(c) for c in r) for r in rows))


def _inline_html(text: str) -> str:
    parts = CODE.split(text)
    return "".join(
        f"<code>{html.escape(part)}</code>" if i % 2 else html.escape(part)
        for i, part in enumerate(parts)
    )


def _cell_md(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(blocks: list[Block]) -> str:
    lines: list[str] = []
    for block in blocks:
        if block.kind in ("h1", "h2", "h3"):
            lines += ["#" * int(block.kind[1]) + " " + block.text, ""]
        elif block.kind == "p":
            lines += [block.text, ""]
        elif block.kind == "ul":
            lines += [f"- {item}" for item in block.items] + [""]
        elif block.kind == "table":
            lines.append("| " + " | ".join(_cell_md(h) for h in block.header) + " |")
            lines.append("|" + "---|" * len(block.header))
            lines += ["| " + " | ".join(_cell_md(c) for c in row) + " |" for row in block.items]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_html_fragment(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind in ("h1", "h2", "h3"):
            anchor = f' id="{html.escape(block.anchor)}"' if block.anchor else ""
            out.append(f"<{block.kind}{anchor}>{_inline_html(block.text)}</{block.kind}>")
        elif block.kind == "p":
            out.append(f"<p>{_inline_html(block.text)}</p>")
        elif block.kind == "ul":
            out.append(
                "<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in block.items) + "</ul>"
            )
        elif block.kind == "table":
            head = "".join(f"<th>{_inline_html(h)}</th>" for h in block.header)
            body = "".join(
                "<tr>" + "".join(f"<td>{_inline_html(c)}</td>" for c in row) + "</tr>"
                for row in block.items
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return "\n".join(out)
