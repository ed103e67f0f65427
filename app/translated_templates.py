"""Templates translated once, when they are compiled, instead of on every render.

A page says ``{{ _('Sign out') }}`` dozens of times; looking each string up in
the catalog on every request costs more than the rest of a small page. Each
language gets its own Jinja environment (an overlay of the application's,
sharing loader, globals and filters, with its own compiled-template cache),
and a token filter replaces every ``_('literal')`` with the translated
literal before the template is compiled, where Jinja folds it into the
page's static text:

* ``_('Sign out')``                 becomes the string ``'退出'``;
* ``_('%(n)s people', n=x)``        becomes ``_fmt('%(n)s人', n=x)``: only the
  formatting is left for the render, escaped as Jinja's own new-style
  ``gettext`` escapes it;
* anything else (``_(variable)``, ``ngettext``) is left to the runtime
  ``gettext`` installed by Flask-Babel's i18n extension.

Flask's ``render_template`` is unchanged: the application's environment hands
each template lookup to the environment of the request's language.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import has_request_context
from flask.templating import Environment
from flask_babel import get_locale, get_translations
from jinja2 import pass_eval_context
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

GETTEXT_NAMES = frozenset({"_", "gettext"})


@pass_eval_context
def format_translated(eval_ctx, text: str, **variables) -> str:
    """What Jinja's new-style ``gettext`` does after the lookup."""
    if eval_ctx.autoescape:
        return Markup(text) % variables
    return text % variables


class TranslateLiterals(Extension):
    """Rewrite ``_('literal'...)`` in the token stream with the environment's catalog."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        translations = getattr(self.environment, "translations", None)
        if translations is None:
            yield from stream
            return
        for token in stream:
            if token.type != "name" or token.value not in GETTEXT_NAMES or stream.current.type != "lparen":
                yield token
                continue
            paren = next(stream)
            if stream.current.type != "string" or stream.look().type not in ("rparen", "comma"):
                yield token
                yield paren
                continue
            literal = next(stream)
            text = translations.ugettext(literal.value)
            if stream.current.type == "rparen":
                next(stream)
                yield Token(literal.lineno, "string", text % {})  # new-style: "%%" is "%"
            else:
                yield Token(token.lineno, "name", "_fmt")
                yield paren
                yield Token(literal.lineno, "string", text)


class LocalizedEnvironment(Environment):
    """The application's environment: picks the request language's environment."""

    translations = None  # set on the per-language overlays only
    lang: str | None = None

    def __init__(self, app, **options) -> None:
        super().__init__(app, **options)
        self.globals["_fmt"] = format_translated
        self._by_locale: dict[str, LocalizedEnvironment] = {}

    def _localized(self) -> LocalizedEnvironment | None:
        """The overlay for the request's language, or None outside a request and on overlays."""
        if self.translations is not None or not has_request_context():
            return None
        key = str(get_locale())
        env = self._by_locale.get(key)
        if env is None:
            env = self.overlay(extensions=[TranslateLiterals], cache_size=400)
            env.translations = get_translations()
            env.lang = key.split("_", maxsplit=1)[0]  # "zh" or "en", for filters that format by language
            self._by_locale[key] = env
        return env

    def get_template(self, name, parent=None, globals=None):  # noqa: A002 (Jinja's signature)
        env = self._localized()
        if env is None:
            return super().get_template(name, parent, globals)
        return env.get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):  # noqa: A002
        env = self._localized()
        if env is None:
            return super().select_template(names, parent, globals)
        return env.select_template(names, parent, globals)
