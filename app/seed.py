"""The seed: the 亦联盟 menu (5 categories, 35 services), districts, demo accounts.

The menu follows the 经开区 "亦联盟" new-era civilization-practice volunteer
menu as the Beijing union press reported it (交通安全法规宣讲, 公众演说与文明礼仪培训,
生物多样性科普, ...), filled out with the activities the same page reports
(插花, 非遗木艺, 拼布, 多肉盆景, 雷锋故事宣讲, 文明交通引导).
"""

from __future__ import annotations

from sqlalchemy import select

from .extensions import db
from .id_numbers import check_digit
from .models import Category, District, Role, Service, User, VolunteerProfile
from .models.base import utcnow
from .models.menu import DispatchMode
from .models.places import BEIJING_DISTRICTS
from .models.users import availability_bit

# (category, icon, description, [(service, summary, minutes, volunteers, notice days, audience)])
MENU: list[tuple[str, str, str, list[tuple[str, str, int, int, int, int]]]] = [
    ("文明实践宣讲", "megaphone", "走进单位和社区的主题宣讲", [
        ("交通安全法规宣讲", "结合真实案例讲解道路交通安全法规,提升职工安全出行意识", 90, 1, 3, 200),
        ("雷锋故事宣讲", "劳模与志愿者讲述雷锋故事,传递雷锋精神", 60, 1, 3, 200),
        ("劳模精神宣讲", "劳动模范分享奋斗经历,弘扬劳模精神、劳动精神、工匠精神", 90, 1, 5, 300),
        ("法律知识普及", "劳动合同、社会保险等职工常用法律知识讲解", 90, 1, 3, 150),
        ("反诈防骗宣讲", "识别常见电信网络诈骗手法,守好职工钱袋子", 60, 1, 2, 300),
        ("职工权益维护讲座", "工会政策与职工维权途径解读", 90, 1, 5, 150),
        ("消防安全知识宣讲", "消防常识、火场逃生与灭火器使用演示", 90, 2, 3, 200),
    ]),
    ("文化艺术体验", "palette", "动手体验传统与生活美学", [
        ("插花艺术体验", "花艺老师讲解鲜花养护、花材挑选、色彩搭配并带领动手插花", 120, 2, 5, 40),
        ("非遗木艺体验", "在非遗传承人指导下体验木艺,制作木质纹理花朵", 120, 2, 7, 30),
        ("拼布手工体验", "学习针戳、拼布技法,完成一件拼布小作品", 120, 2, 7, 30),
        ("多肉盆景制作", "多肉植物养护知识与手工盆景制作", 90, 2, 5, 40),
        ("书法绘画体验", "硬笔、软笔书法与国画入门体验", 120, 1, 5, 40),
        ("剪纸艺术", "传统剪纸技法教学与作品创作", 90, 1, 5, 40),
        ("合唱与器乐指导", "职工合唱团、器乐兴趣小组排练指导", 120, 1, 7, 60),
    ]),
    ("素养提升培训", "mortarboard", "提升职工综合素养的实用培训", [
        ("公众演说与文明礼仪培训", "公众表达技巧与职场、社交文明礼仪", 120, 1, 5, 100),
        ("职场沟通技巧", "高效沟通、团队协作与冲突化解", 90, 1, 5, 80),
        ("心理健康辅导", "压力管理与情绪调适团体辅导", 90, 1, 5, 50),
        ("办公软件技能培训", "常用办公软件与数字技能提升", 120, 1, 3, 50),
        ("家庭教育讲座", "亲子沟通与家庭教育方法分享", 90, 1, 5, 150),
        ("摄影技巧培训", "手机摄影构图与后期入门", 90, 1, 5, 60),
        ("急救知识与技能培训", "心肺复苏、AED使用与常见意外处置", 120, 2, 5, 60),
    ]),
    ("科普与环保", "tree", "科学知识与绿色生活", [
        ("生物多样性科普", "认识身边的动植物,了解生物多样性保护", 90, 1, 3, 200),
        ("垃圾分类指导", "垃圾分类标准讲解与现场指导", 60, 1, 2, 200),
        ("节能低碳宣传", "节能降碳小窍门与绿色出行倡议", 60, 1, 3, 200),
        ("科学育儿科普", "婴幼儿养育与早期发展科学知识", 90, 1, 5, 100),
        ("健康饮食讲座", "营养膳食搭配与慢病预防", 90, 1, 3, 150),
        ("中医养生科普", "四季养生与办公室保健操", 90, 1, 5, 150),
        ("天文科普", "星空观测入门与天文知识讲座", 90, 1, 7, 100),
    ]),
    ("文明城市共建", "buildings", "走上街头、走进社区的志愿服务", [
        ("文明交通引导", "路口文明交通引导,劝导闯红灯、逆行等不文明行为", 120, 4, 3, 0),
        ("停车秩序规范引导", "规范共享单车和机动车停放秩序", 120, 2, 3, 0),
        ("环境整治志愿服务", "协助门前三包、环境清洁与整治", 120, 4, 3, 0),
        ("文明行为劝导", "公共场所文明行为宣传与劝导", 120, 2, 3, 0),
        ("社区关爱探访", "走访慰问困难职工、独居老人", 120, 2, 3, 20),
        ("义诊咨询", "医务志愿者提供健康咨询与简易检查", 180, 2, 7, 200),
        ("助老助残服务", "陪伴就医、代办事务与生活照料", 120, 1, 2, 5),
    ]),
]

DEMO_PASSWORD = "demo-2026"
# phone, name, unit, roles
DEMO_ACCOUNTS: list[tuple[str, str, str, tuple[Role, ...]]] = [
    ("13800000001", "张明", "北京亦庄智造科技有限公司", (Role.REQUESTER,)),
    ("13800000002", "李华", "经开区志愿服务队", (Role.VOLUNTEER,)),
    ("13800000003", "陈静", "经开区新时代文明实践中心", (Role.COORDINATOR,)),
    ("13800000009", "王主任", "经开区新时代文明实践中心", (Role.ADMIN, Role.COORDINATOR)),
    ("13800000004", "王芳", "经开区志愿服务队", (Role.VOLUNTEER, Role.REQUESTER)),
    ("13800000005", "赵强", "亦庄消防志愿服务队", (Role.VOLUNTEER,)),
    ("13800000006", "刘洋", "经开区文化志愿服务队", (Role.VOLUNTEER,)),
]



def _grid(days: range, periods: tuple[int, ...]) -> int:
    return sum(availability_bit(d, p) for d in days for p in periods)


DAYTIME_EVERY_DAY = _grid(range(7), (0, 1))
# The demo volunteers' profiles, by phone: services, categories (by position), other
# districts besides 经开区, their weekly grid (every day's mornings and afternoons, when
# the demo orders fall, plus what suits each), skills.
DEMO_VOLUNTEERS: dict[str, tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...], int, str]] = {
    "13800000002": (("交通安全法规宣讲", "文明交通引导"), (0, 4), (), DAYTIME_EVERY_DAY, "交通安全宣讲员"),
    "13800000004": ((), (4, 0, 1), ("chaoyang",), DAYTIME_EVERY_DAY | _grid(range(7), (2,)), "社区工作、摄影"),
    "13800000005": (("消防安全知识宣讲", "急救知识与技能培训"), (0, 2), (), DAYTIME_EVERY_DAY, "红十字救护员证"),
    "13800000006": ((), (1, 3), ("chaoyang",), DAYTIME_EVERY_DAY | _grid(range(5, 7), (2,)), "花艺、木艺"),
}


def demo_id_number(n: int) -> str:
    """A made-up resident ID number with a correct check digit (born 1990-01-01 in 东城区)."""
    first17 = f"11010119900101{n:03d}"
    return first17 + check_digit(first17)


def _demo_profile(user: User, n: int, services: dict[str, Service], categories: list[Category],
                  districts: dict[str, District]) -> VolunteerProfile:
    own_services, own_categories, elsewhere, grid, skills = DEMO_VOLUNTEERS[user.phone]
    profile = VolunteerProfile(
        user=user, status="approved", team=user.unit, real_name=user.name, id_type="resident_id",
        id_number=demo_id_number(n), volunteer_number=f"YZ{utcnow().year}{n:05d}", availability=grid,
        skills=skills, bio=f"{user.unit}志愿者", applied_at=utcnow(), reviewed_at=utcnow(),
    )
    profile.services = [services[name] for name in own_services]
    profile.categories = [categories[i] for i in own_categories]
    profile.districts = [districts["bda"], *(districts[code] for code in elsewhere)]
    return profile


def seed_districts() -> int:
    existing = set(db.session.scalars(select(District.code)))
    added = 0
    for position, (code, name) in enumerate(BEIJING_DISTRICTS):
        if code not in existing:
            db.session.add(District(code=code, name=name, position=position))
            added += 1
    db.session.flush()
    return added


# Services whose orders go to the claim board (抢单) rather than being dispatched by the center.
CLAIM_SERVICES = ("文明交通引导", "垃圾分类指导")


def seed_menu() -> int:
    added = 0
    for c_pos, (cat_name, icon, description, services) in enumerate(MENU):
        category = db.session.scalar(select(Category).where(Category.name == cat_name))
        if category is None:
            category = Category(name=cat_name, icon=icon, description=description, position=c_pos)
            db.session.add(category)
            db.session.flush()
        for s_pos, (name, summary, minutes, volunteers, notice, audience) in enumerate(services):
            if db.session.scalar(select(Service.id).where(Service.name == name)) is not None:
                continue
            db.session.add(
                Service(
                    category_id=category.id, name=name, summary=summary,
                    description=summary + "。", duration_minutes=minutes,
                    default_volunteers=volunteers, min_notice_days=notice,
                    audience_limit=audience or 1000, online=False, position=s_pos,
                    dispatch_mode=DispatchMode.CLAIM.value if name in CLAIM_SERVICES else DispatchMode.DISPATCH.value,
                )
            )
            added += 1
    db.session.flush()
    return added


def seed_demo_accounts() -> int:
    districts = {d.code: d for d in db.session.scalars(select(District))}
    bda = districts["bda"]
    services = {s.name: s for s in db.session.scalars(select(Service))}
    categories = list(db.session.scalars(select(Category).order_by(Category.position)))
    added = 0
    for i, (phone, name, unit, roles) in enumerate(DEMO_ACCOUNTS):
        if db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
            continue
        user = User(phone=phone, name=name, unit=unit, district_id=bda.id)
        user.set_password(DEMO_PASSWORD)
        user.set_roles(list(roles))
        db.session.add(user)
        if Role.VOLUNTEER in roles:
            db.session.add(_demo_profile(user, i, services, categories, districts))
        added += 1
    db.session.flush()
    return added


def seed_all(demo: bool = True) -> dict[str, int]:
    return {
        "districts": seed_districts(),
        "services": seed_menu(),
        "accounts": seed_demo_accounts() if demo else 0,
    }
