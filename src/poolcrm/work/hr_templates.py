# ruff: noqa: E501  (OOXML namespace URLs and part names are long)
"""The HR report templates (WORK-1), downloadable from the reports page: weekly and monthly as .xlsx
tables, the half-year and annual summaries as .docx — written here, so they need no office suite."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from poolcrm.sheets import workbook_bytes
from poolcrm.work.models import ANNUAL, HALF_YEAR, MONTHLY, WEEKLY

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TABLES: dict[str, tuple[str, list[str], list[list[str]]]] = {
    WEEKLY: (
        "工作周报模板",
        ["日期", "客户", "工作内容（拜访/电话/方案/商务）", "进展与结果", "下一步计划", "需要的支持"],
        [["", "", "", "", "", ""] for _ in range(10)],
    ),
    MONTHLY: (
        "工作月报模板",
        ["项目", "本月目标", "本月完成", "差距与原因", "下月计划"],
        [
            ["新增客户", "", "", "", ""],
            ["有效跟进", "", "", "", ""],
            ["跟单推进", "", "", "", ""],
            ["签约金额", "", "", "", ""],
            ["回款金额", "", "", "", ""],
            ["其他", "", "", "", ""],
        ],
    ),
}
SECTIONS: dict[str, tuple[str, list[str]]] = {
    HALF_YEAR: (
        "半年工作总结",
        [
            "一、主要业绩（签约、回款、新增客户）",
            "二、重点客户与项目进展",
            "三、存在的问题与原因",
            "四、下半年目标与措施",
            "五、需要公司支持的事项",
        ],
    ),
    ANNUAL: (
        "年终总结",
        [
            "一、全年业绩回顾",
            "二、客户开发与维护",
            "三、经验与不足",
            "四、明年目标与计划",
            "五、个人成长与建议",
        ],
    ),
}


def template_file(kind: str) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the template for `kind`."""
    if kind in TABLES:
        title, headers, rows = TABLES[kind]
        return f"{title}.xlsx", XLSX, workbook_bytes(headers, rows, sheet=title)
    title, sections = SECTIONS[kind]
    return f"{title}模板.docx", DOCX, _docx(title, sections)


def _docx(title: str, sections: list[str]) -> bytes:
    """A minimal WordprocessingML package: a title, then each section heading and an empty line."""
    paragraphs = [
        f'<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/><w:sz w:val="36"/></w:rPr><w:t>{escape(title)}</w:t></w:r></w:p>'
    ]
    paragraphs.append("<w:p><w:r><w:t>姓名：　　　　部门：　　　　日期：</w:t></w:r></w:p>")
    for heading in sections:
        paragraphs.append(f"<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>{escape(heading)}</w:t></w:r></w:p>")
        paragraphs.append("<w:p/><w:p/>")
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        + "".join(paragraphs)
        + "</w:body></w:document>"
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        "</Relationships>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", document)
    return buf.getvalue()
