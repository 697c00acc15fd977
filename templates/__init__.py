"""What closedloop fills in for people: the letterheads (.docx, .xlsx), the default
closedloop.toml, and the Jinja templates of pages (.html: auditor pages, reports, the
packet cover) and of plain text (.txt: quarantine notes, e-mails).

One Jinja environment renders every template, so each is read the same way:
- sandboxed: a template reaches only the values it is given, never Python beyond them;
- StrictUndefined: a misspelt name is an error, not an empty string in a page;
- HTML escaped in .html only: a customer named "<script>" is text on a page, and
  "R&D" stays "R&D" in a note or a mail;
- the final newline of a template kept, so a note or a mail ends as a text file does;
- the filter `shown` puts a name or value from a file safely on one line (forms.shown);
- words through gettext in the language in use (language.use): `{{ _("Case") }}`, and
  the filters `day`, `minute`, `number` and `money` write as that language does.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import PackageLoader, StrictUndefined, Template, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from forms.shown import shown
from language import formats, gettext, ngettext

__all__ = ["environment", "render", "template"]


@cache
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=PackageLoader("templates", ""),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
        # The templates ship with the code: no need to look at their times on every render.
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    # newstyle: `_("%(n)s cases", n=3)` formats after translating, and escapes in HTML.
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["shown"] = shown
    env.filters["day"] = formats.day
    env.filters["minute"] = formats.minute
    env.filters["number"] = formats.number
    env.filters["money"] = formats.money
    # `tojson` in a page: ASCII only and keys in order, as the auditor's data files are.
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": True, "sort_keys": True}
    return env


def template(name: str) -> Template:
    """The template `name` of this package (e.g. "report.html"), compiled once."""
    return environment().get_template(name)


def render(name: str, **context: Any) -> str:
    return template(name).render(**context)
