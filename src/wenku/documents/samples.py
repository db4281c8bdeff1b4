"""Documents the project writes itself: demo content, test fixtures, benchmark inputs.

The text is our own, written for Wenku; nothing here is copied from elsewhere.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SampleText:
    title: str
    paragraphs: tuple[str, ...]
    language: str = "zh"


LIBRARY = SampleText(
    title="社区图书馆建设的实践与思考",
    paragraphs=(
        "社区图书馆是居民身边的公共文化空间。过去三年，我们在十二个社区试点建设了"
        "“十五分钟阅读圈”，让居民步行一刻钟就能借到一本书、坐下来读一会儿书。",
        "一、主要做法。一是盘活闲置用房，把社区活动中心的一层改造成开放式阅览区，"
        "共新增座位386个；二是推行通借通还，读者在任何一个分馆借阅的图书，"
        "都可以在其他分馆归还；三是招募志愿者，组建了一支由退休教师、大学生组成的"
        "阅读推广队伍，全年开展亲子共读、读书分享会等活动214场。",
        "二、取得的成效。试点社区的年人均借阅量从1.8册提高到4.6册，"
        "青少年读者占比达到37.5%。不少家长反映，孩子放学后有了安静的去处，"
        "老人们也愿意到阅览室看报、聊天，社区的邻里关系更加融洽。",
        "三、存在的问题。部分分馆的藏书更新较慢，数字资源的使用率不高；"
        "志愿者队伍流动性较大，活动的持续性有待加强；个别分馆开放时间与居民的"
        "作息时间不一致，晚间和周末的服务还不够充分。",
        "四、下一步打算。我们将建立藏书动态调配机制，每季度根据借阅数据调整各分馆的"
        "书目；推动数字阅读进社区，为每个分馆配备电子书借阅机；完善志愿服务积分制度，"
        "让参与阅读推广的居民得到应有的认可。",
    ),
)

WASTE = SampleText(
    title="城市生活垃圾分类工作总结",
    paragraphs=(
        "今年以来，我区坚持把生活垃圾分类作为改善人居环境的重要抓手，"
        "以“减量化、资源化、无害化”为目标，推动分类工作由试点走向全面覆盖。",
        "在设施建设方面，全区新建和改造垃圾分类投放点1,052个，配备智能回收箱96台，"
        "厨余垃圾日处理能力达到320吨。每个投放点都设置了洗手池和照明设施，"
        "方便居民在早晚高峰时段投放。",
        "在宣传引导方面，各街道通过入户讲解、小区广播、微信群提醒等方式，"
        "累计培训楼栋长和志愿者2,300余人次。学校开展“小手拉大手”活动，"
        "让学生把分类知识带回家。",
        "在考核监督方面，我们建立了“周检查、月通报、季考评”的工作机制，"
        "对分类准确率低于80%的小区进行约谈，督促物业企业落实主体责任。",
        "下一阶段，我们将重点解决收运环节“混装混运”的问题，实现分类投放、分类收集、"
        "分类运输、分类处理全链条闭环管理，并探索建立可回收物积分兑换制度。",
    ),
)

PHYSICS = SampleText(
    title="高中物理平抛运动复习讲义",
    paragraphs=(
        "平抛运动是指物体以一定的初速度沿水平方向抛出，只在重力作用下所做的运动。"
        "研究平抛运动的基本方法是“化曲为直”，把它分解为两个方向上的直线运动。",
        "水平方向：物体不受力，做匀速直线运动，位移 x = v₀t。"
        "竖直方向：物体只受重力，做自由落体运动，位移 y = ½gt²。",
        "例题：一小球从高 h = 20 m 处以 v₀ = 15 m/s 的速度水平抛出，"
        "取 g = 10 m/s²，求小球落地所用的时间和落地点到抛出点的水平距离。",
        "解：由 h = ½gt² 得 t = 2 s；水平距离 x = v₀t = 30 m。"
        "落地时竖直分速度 vᵧ = gt = 20 m/s，合速度大小为 25 m/s。",
        "易错提醒：平抛运动的时间只由下落高度决定，与初速度无关；"
        "速度方向与水平方向夹角的正切值是位移方向夹角正切值的2倍。",
    ),
)

HANDBOOK = SampleText(
    title="Volunteer Handbook for the Riverside Reading Room",
    language="en",
    paragraphs=(
        "Welcome to the Riverside Reading Room. This handbook explains how volunteers "
        "open the room, help readers find books, and close up at the end of a shift.",
        "Opening: arrive ten minutes early, switch on the lights in the reading area, "
        "check the returns box, and note the number of returned items in the daily log.",
        "Helping readers: greet everyone who comes in. If a reader asks for a title we "
        "do not hold, write it on the request sheet; the coordinator orders up to 25 "
        "requested books every month.",
        "Closing: shelve returned books by call number, empty the returns box, turn off "
        "the computers, and lock both doors. Leave a short note for the next volunteer.",
    ),
)

ALL_SAMPLES = (LIBRARY, WASTE, PHYSICS, HANDBOOK)


def paragraphs_for_pages(sample: SampleText, pages: int) -> list[str]:
    """Enough paragraphs for about ``pages`` A4 pages, cycling the sample text."""
    per_page = 8 if sample.language == "zh" else 9  # measured on LibreOffice's A4 output
    numbered = (
        f"（{index + 1}）{text}" if sample.language == "zh" else f"({index + 1}) {text}"
        for index, text in enumerate(itertools.cycle(sample.paragraphs))
    )
    return list(itertools.islice(numbered, max(1, pages * per_page)))


def make_docx(path: Path, sample: SampleText, *, pages: int = 2) -> Path:
    """A DOCX in the fonts Chinese documents use (宋体 body, 黑体 heading)."""
    from docx import Document as DocxDocument
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = DocxDocument()
    document.core_properties.title = sample.title
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    heading = document.add_heading(sample.title, level=1)
    for run in heading.runs:
        run.font.name = "SimHei"
        run.element.rPr.rFonts.set(qn("w:eastAsia"), "黑体")
    for paragraph in paragraphs_for_pages(sample, pages):
        document.add_paragraph(paragraph)
    document.save(path)
    return path


def make_pptx(path: Path, sample: SampleText, *, slides: int = 5) -> Path:
    from pptx import Presentation
    from pptx.util import Pt

    presentation = Presentation()
    presentation.core_properties.title = sample.title
    title_slide = presentation.slides.add_slide(presentation.slide_layouts[0])
    title_slide.shapes.title.text = sample.title
    title_slide.placeholders[1].text = "Wenku"
    cycle = itertools.cycle(sample.paragraphs)
    for number in range(2, slides + 1):
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = f"{sample.title}（{number}）"
        body = slide.placeholders[1].text_frame
        body.text = next(cycle)
        for paragraph in body.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(18)
    presentation.save(path)
    return path


def make_txt(path: Path, sample: SampleText, *, encoding: str = "utf-8") -> Path:
    text = sample.title + "\n\n" + "\n\n".join(sample.paragraphs) + "\n"
    path.write_bytes(text.encode(encoding))
    return path
