"""Paragraph-by-paragraph checks of docxtpl tags in a template part, with messages a clerk can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass

import jinja2
from lxml import etree

from lzdocs.documents.templating import W_NS, TagProblem, _jinja_message

W = f"{{{W_NS}}}"
TAG_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
BLOCKS = {"for", "if", "with", "macro", "call", "filter", "block", "autoescape"}
DOCXTPL_TAGS = {"colspan", "cellbg", "vm", "hm"}
_BLOCK_SET = re.compile(r"set\s+\w+\s*(\|.*)?", re.S)  # {% set 署名 %}…{% endset %}: a block, unlike {% set a = 1 %}
QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


@dataclass
class _Open:
    word: str
    paragraph: int
    tag: str
    text: str


def check_paragraphs(root, env: jinja2.Environment, part: str) -> list[TagProblem]:
    """Problems of every tag in one XML part (document, header, footer), in document order."""
    problems: list[TagProblem] = []
    stack: list[_Open] = []
    for number, p in enumerate(root.iter(f"{W}p"), start=1):
        runs = _runs(p)
        text = "".join(t for t, _ in runs)
        if not any(mark in text for mark in ("{", "}", "｛", "｝")):
            continue

        def add(severity: str, message: str, number=number, text=text) -> None:
            problems.append(TagProblem(severity, message, part, number, text.strip()))

        owner = [i for i, (t, _) in enumerate(runs) for _ in t]
        _check_leftovers(TAG_RE.sub(" ", text), add)
        for m in TAG_RE.finditer(text):
            formats = {runs[owner[i]][1] for i in range(m.start(), m.end())}
            if len(formats) > 1:
                add("warning", f"标签“{m.group(0)}”被拆成了几段格式不同的文字，生成时采用第一段的格式；"
                               "建议选中整个标签，统一设置字体字号")
            _check_tag(m.group(0), text, p, env, stack, add, number)
    for block in stack:
        problems.append(TagProblem("error", f"“{block.tag}”缺少结束标签 {{% end{block.word} %}}",
                                   part, block.paragraph, block.text))
    return problems


def _runs(p) -> list[tuple[str, bytes]]:
    """(text, formatting) of each run that belongs to this paragraph (not to a nested text box)."""
    out = []
    for r in p.iter(f"{W}r"):
        if _paragraph_of(r) is not p:
            continue
        text = "".join(t.text or "" for t in r.iter(f"{W}t") if _paragraph_of(t) is p)
        if text:
            rpr = r.find(f"{W}rPr")
            out.append((text, b"" if rpr is None else etree.tostring(rpr)))
    return out


def _paragraph_of(element):
    parent = element.getparent()
    while parent is not None and parent.tag != f"{W}p":
        parent = parent.getparent()
    return parent


def _check_leftovers(rest: str, add) -> None:
    for opener, closer in (("{{", "}}"), ("{%", "%}"), ("{#", "#}")):
        if opener in rest:
            tail = rest[rest.index(opener):][:20]
            add("error", f"标签“{tail.strip()}…”没有结束符 {closer}；一个标签必须完整地写在同一段里")
        elif closer in rest:
            add("error", f"多余的结束符 {closer}（前面没有对应的 {opener}），可能是标签的开头被删掉或写错了")
    if re.search(r"[｛{][｛%％]|[｝%％][｝}]", rest):
        add("warning", "发现全角的 ｛ ｝ 或 ％：标签必须用半角（英文）符号 {{ }} 和 {% %} 书写")


def _check_tag(tag: str, text: str, p, env, stack: list[_Open], add, number: int) -> None:
    opener, body = tag[:2], tag[2:-2].translate(QUOTES)
    prefix = re.match(r"(p|tr|tc|r) ", body)
    if prefix:
        body = body[len(prefix.group(0)):]
        where = {"tr": "tr", "tc": "tc"}.get(prefix.group(1))
        if where and not any(a.tag == f"{W}{where}" for a in p.iterancestors()):
            add("error", f"“{tag}”只能写在表格{'的行' if where == 'tr' else '的单元格'}里")
        if prefix.group(1) == "p" and TAG_RE.sub("", text).strip():
            add("warning", f"本段含 “{tag}”，生成时整段会被删除，同段的其他文字“{TAG_RE.sub('', text).strip()[:20]}”"
                           "不会出现；请把标签单独放在一段")
    if opener == "{#":
        return
    if opener == "{{":
        _compile(env, "{{" + body + "}}", tag, add)
        return
    statement = body.strip().strip("-").strip()
    word = statement.split(" ", 1)[0] if statement else ""
    if word in DOCXTPL_TAGS:
        return
    if not word:
        add("error", f"“{tag}”是空标签")
    elif word in BLOCKS or (word == "set" and _BLOCK_SET.fullmatch(statement)):
        if _compile(env, f"{{% {statement} %}}{{% end{word} %}}", tag, add):
            stack.append(_Open(word, number, tag, text.strip()))
    elif word in ("elif", "else"):
        allowed = ("if", "for") if word == "else" else ("if",)
        if not stack or stack[-1].word not in allowed:
            add("error", f"“{tag}”前面没有对应的 {{% if … %}}")
        else:
            _compile(env, f"{{% if true %}}{{% {statement} %}}{{% endif %}}", tag, add)
    elif word.startswith("end"):
        _close(word[3:], tag, stack, add)
    else:
        _compile(env, f"{{% {statement} %}}", tag, add)


def _close(word: str, tag: str, stack: list[_Open], add) -> None:
    if stack and stack[-1].word == word:
        stack.pop()
        return
    if any(b.word == word for b in stack):
        while stack and stack[-1].word != word:
            block = stack.pop()
            add("error", f"“{tag}”之前，第{block.paragraph}段的“{block.tag}”还没有结束（缺少 {{% end{block.word} %}}）")
        stack.pop()
        return
    add("error", f"多余的“{tag}”：前面没有对应的 {{% {word} … %}}")


def _compile(env: jinja2.Environment, source: str, tag: str, add) -> bool:
    try:
        env.from_string(source)
        return True
    except jinja2.TemplateAssertionError as exc:
        add("error", f"“{tag}”：{_jinja_message(exc)}")
    except jinja2.TemplateSyntaxError as exc:
        add("error", f"“{tag}”写法有误（{exc.message}）；变量写成 {{{{ 事由 }}}}，条件写成 {{% if 抄送 %}}")
    return False
