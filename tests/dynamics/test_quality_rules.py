"""The rules of the quality review asked row by row: the one search for any generic phrase agrees with looking for
each phrase, the workspace's own phrases included; the flags are found as the phrases and names say."""

from lzdocs.dynamics.quality import Rules, generic_phrases, owner_problem

TEXTS = ["加强管理，提高认识", "每月对账一次，由出纳和会计双人核对", "严格执行", "", "强化 监督", "加强学习。",
         "提高思想认识并加强廉政教育", "执行《财务报销管理办法》，加强管理", "钱账分管", "加强自律（本单位）"]


def test_one_search_finds_a_phrase_where_looking_for_each_would(workspace):
    (workspace.root / "质量规则.toml").write_text('[generic_measures]\nphrases = ["钱账分管"]\n', encoding="utf-8")
    rules = Rules.load(workspace)
    assert "钱账分管" in rules.phrases
    for text in TEXTS + rules.phrases + [f"甲{p}乙" for p in rules.phrases]:
        compact = "".join(text.split())
        assert rules.has_phrase(compact) == any(p in compact for p in rules.phrases), text
    assert generic_phrases("加强管理，提高认识", rules) == ["加强管理", "提高认识"]
    assert generic_phrases("提高思想认识并加强廉政教育", rules) == ["提高思想认识", "加强廉政教育"]
    assert generic_phrases("每月对账一次", rules) == [] and generic_phrases("强化 监督", rules) == ["强化监督"]
    assert generic_phrases("执行《财务报销管理办法》，加强管理", rules) == []  # a named rule is concrete
    assert generic_phrases("钱账分管", rules) == ["钱账分管"]


def test_no_phrases_at_all_finds_none(workspace):
    rules = Rules.load(workspace)
    rules.phrases = []
    assert not rules.has_phrase("加强管理") and generic_phrases("加强管理", rules) == []
    assert owner_problem("处长", "出纳", rules) and owner_problem("王丽", "出纳", rules) is None
