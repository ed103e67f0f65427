"""WTForms' own messages follow the user's language, from a catalog read once per process."""

from __future__ import annotations

from flask_babel import force_locale
from wtforms import DateField

from app.forms import ActionForm, AppForm, wtforms_translations


def test_wtforms_messages_are_in_the_users_language_and_read_once(app, db):
    with app.test_request_context("/"):
        with force_locale("zh_Hans_CN"):
            zh = ActionForm().meta.get_translations(None)
            assert zh is wtforms_translations("zh_Hans_CN")  # the same catalog every time
            assert zh.gettext("Not a valid date value.") == "不是有效的日期值。"
        with force_locale("en"):
            en = ActionForm().meta.get_translations(None)
            assert en.gettext("Not a valid date value.") == "Not a valid date value."


def test_a_form_error_from_wtforms_is_chinese(app, db):
    class DateForm(AppForm):
        day = DateField()

    with app.test_request_context("/", method="POST", data={"day": "2026-13-45"}), force_locale("zh_Hans_CN"):
        form = DateForm(meta={"csrf": False})
        assert not form.validate()
        assert form.day.errors == ["不是有效的日期值。"]
