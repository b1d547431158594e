"""Templates render in a sandbox: a template changed by anyone with write access cannot run code or exhaust memory."""

from __future__ import annotations

import resource
import time

import pytest

from lzdocs.documents.templating import DocxTemplateFile, check_template
from lzdocs.errors import TemplateError
from tests.documents.test_templating import make_template, texts

ATTACKS = {
    "code": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "format": "{{ '{0.__class__.__init__.__globals__}'.format(cycler) }}",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_template_that_reaches_for_python_internals_is_refused_in_chinese(tmp_path, name):
    template = DocxTemplateFile(make_template(tmp_path / "改过的模板.docx", ["正文", ATTACKS[name]]))
    with pytest.raises(TemplateError) as caught:
        template.render({})
    message = str(caught.value)
    assert message.startswith("模板 改过的模板.docx 含有不允许的操作（") and "出于安全原因拒绝生成" in message
    assert "uid=" not in message


BOMBS = [
    "{{ 'a'*10**9 }}",                                  # the example
    "{{ 'a'*10**6*1000 }}",                             # in two steps
    "{{ ['a'*1000000]*1000 }}",                         # a list that prints as 1 GB
    "{{ 'a'|center(1000000000) }}",                     # a filter's width
    "{{ 'a'.ljust(1000000000) }}",                      # a method's width
    "{{ '%1000000000s'|format('a') }}",                 # a format width
    "{{ '{:>999999999}'.format('a') }}",
    "{{ ('a'*1000000)|replace('', 'b'*1000) }}",        # every character replaced by a long text
    "{{ range(100000)|map('string')|map('center', 4000000)|join }}",
    "{% set a = 'a'*4000000 %}{% set b = a ~ a %}{{ b }}",
    "{% set a = 'a'*3000000 %}{% set b %}{{ a }}{{ a }}{% endset %}{{ b }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{{ 'x'*3000 }}{% endfor %}{% endfor %}",
    "{{ 10**10000000 }}",                               # a number of ten million digits
]


@pytest.mark.parametrize("expression", BOMBS)
def test_a_template_cannot_exhaust_memory(tmp_path, expression):
    template = DocxTemplateFile(make_template(tmp_path / "炸弹.docx", ["正文", expression]))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(TemplateError) as caught:
        template.render({})
    assert "过大" in str(caught.value) and "炸弹.docx" in str(caught.value)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 300 and time.monotonic() - started < 20


def test_ordinary_templates_still_render_inside_the_limits(tmp_path):
    path = make_template(tmp_path / "正常.docx", [
        "{{ 事由|truncate(30) }}",
        "{% for 条 in 问题 %}{{ loop.index }}．{{ 条|trim }}{% if not loop.last %}；{% endif %}{% endfor %}",
        "{{ '%s年%d号'|format(年份, 3) }}{{ '（共{}条）'.format(问题|length) }}",
        "{% set 署名 %}{{ 单位 }}纪委{% endset %}{{ 署名 ~ '（印）' }}{{ '—' * 4 }}",
    ])
    lines = texts(DocxTemplateFile(path).render({"事由": "在检查中发现" + "采购程序不规范" * 10, "年份": 2026,
                                                 "问题": [" 采购不规范 ", "报销把关不严"], "单位": "计划财务处"}))
    assert lines == ["在检查中发现采购程序不规范采购程序不规范采购程序不规范...", "1．采购不规范；2．报销把关不严",
                     "2026年3号（共2条）", "计划财务处纪委（印）————"]


def test_the_checker_uses_the_same_sandbox(tmp_path):
    report = check_template(make_template(tmp_path / "t.docx", ["{{ 事由 }}", ATTACKS["code"]]))
    assert report.errors == [] and report.variables == ["事由"]  # compiles; refused only when rendered
