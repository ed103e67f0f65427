"""Places: Beijing's 16 districts and the Economic-Technological Development Area."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

BEIJING_DISTRICTS: list[tuple[str, str]] = [
    ("dongcheng", "东城区"),
    ("xicheng", "西城区"),
    ("chaoyang", "朝阳区"),
    ("haidian", "海淀区"),
    ("fengtai", "丰台区"),
    ("shijingshan", "石景山区"),
    ("mentougou", "门头沟区"),
    ("fangshan", "房山区"),
    ("tongzhou", "通州区"),
    ("shunyi", "顺义区"),
    ("changping", "昌平区"),
    ("daxing", "大兴区"),
    ("huairou", "怀柔区"),
    ("pinggu", "平谷区"),
    ("miyun", "密云区"),
    ("yanqing", "延庆区"),
    ("bda", "经开区"),
]


class District(db.Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<District {self.code}>"
