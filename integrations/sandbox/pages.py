"""The simulators' own small web pages: a home page listing what to try, and a page per task.

A newcomer to the trial needs links to paste and somewhere for "Open in Asana ↗" / "TEST-4 ↗"
to land; real Asana and Jira have their web apps, the simulators have these pages. Nobody logs
in: the simulator shows everything it holds, as a demo does. Each link sits in a read-only box
with a Copy button (the pages are the simulator's own, outside Conduit's CSP, so a small inline
script is allowed here).
"""

from __future__ import annotations

from html import escape

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,">
<style>
body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1e1f21;line-height:1.45}}
h1{{font-size:1.5rem}} h2{{font-size:1.15rem;margin-top:1.8rem}} .muted{{color:#6d6e6f}}
.banner{{background:#f1f5ff;border:1px solid #c5d3f6;padding:.6rem .9rem;border-radius:6px}}
table{{border-collapse:collapse;width:100%}} td,th{{text-align:left;padding:.35rem .5rem;
border-bottom:1px solid #e8e8e8;vertical-align:top}}
input.link{{width:100%;font:inherit;font-size:.85rem;padding:.2rem .3rem;box-sizing:border-box}}
td.copy{{width:1%;white-space:nowrap}} dl{{display:grid;grid-template-columns:10rem 1fr;gap:.3rem}}
dt{{color:#6d6e6f}} dd{{margin:0}}
</style></head><body>{content}
<script>
document.addEventListener("click", async (event) => {{
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const box = document.getElementById(button.dataset.copy);
  box.select();
  try {{ await navigator.clipboard.writeText(box.value); }}
  catch (error) {{ document.execCommand("copy"); }}
  button.textContent = "Copied";
}});
</script></body></html>"""


def page(title: str, content: str) -> str:
    """A whole HTML document around `content` (already escaped markup)."""
    return _PAGE.format(title=escape(title), content=content)


def link_row(row_id: str, title: str, href: str, extra: str = "") -> str:
    """A table row: the title linking to its page, the link in a copyable box, a Copy button."""
    return (
        f'<tr data-testid="item"><td><a href="{escape(href)}">{escape(title)}</a>{extra}</td>'
        f'<td><input class="link" id="{escape(row_id)}" value="{escape(href)}" readonly '
        f'aria-label="Link to {escape(title)}"></td>'
        f'<td class="copy"><button type="button" data-copy="{escape(row_id)}">Copy</button></td></tr>'
    )


def details(rows: list[tuple[str, str]]) -> str:
    """A definition list of (label, value) pairs; values are escaped here."""
    items = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in rows)
    return f"<dl>{items}</dl>"
