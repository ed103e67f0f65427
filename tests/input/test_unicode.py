"""S23: CJK and emoji strings go form -> database -> page unchanged, on both databases."""

from __future__ import annotations

import secrets

from markupsafe import escape
from sqlalchemy import select

from app.extensions import db as _db
from app.models import Order
from tests.input.conftest import DATABASE, FIGURES

SAMPLES = [
    "北京市朝阳区🙂测试路1号",
    "café e\u0301 naïve",
    "👩\u200d👩\u200d👧\u200d👦 一家人",
    "\u202e右到左 mark",
    "𠀀𪚥𰻞 扩展汉字",
    "ｆｕｌｌｗｉｄｔｈ　全角空格",
    "🇨🇳🎉✨ 志愿服务",
    "第一行\r\n第二行",
]


def test_cjk_and_emoji_round_trip(app, targets):
    client = targets.clients["requester"]
    round_trips = 0
    for text in SAMPLES:
        single_line = text.replace("\r\n", " ")
        data = {"csrf_token": targets.tokens["requester"], "service_date": "2030-06-04", "start_time": "09:00",
                "end_time": "10:00", "district_id": "17", "address": single_line[:200], "unit": single_line[:80],
                "contact_name": single_line[:40], "contact_phone": "13800000001", "audience_size": "10",
                "note": text, "form_token": secrets.token_urlsafe(24), "again": "y"}
        response = client.post(f"/my/orders/new/{targets.service_id}", data=data)
        assert response.status_code == 303, (text, response.status_code)
        with app.app_context():
            order = _db.session.scalar(select(Order).where(Order.form_token == data["form_token"]))
            stored = {f: getattr(order, f) for f in ("address", "unit", "contact_name", "note")}
        page = client.get(response.location).get_data(as_text=True)
        for name, value in stored.items():
            assert value == data[name].strip(), (name, value, data[name])
            assert value.encode("utf-8") == data[name].strip().encode("utf-8")
            shown = str(escape(value))
            assert shown in page or shown.replace("\r\n", "\n") in page, (name, value)
            round_trips += 1
    FIGURES[f"S23 CJK/emoji strings round-tripped ({DATABASE})"] += round_trips
