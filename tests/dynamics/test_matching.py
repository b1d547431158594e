"""Matching risk points across years: similarity over reworded text, posts counted, one optimal assignment."""

from lzdocs.dynamics.changes import Point, compare, match_points


def point(risk, post="会计", level=2, measures="报销双签"):
    return Point(post=post, risk=risk, level=level, measures=measures)


def test_the_assignment_is_optimal_not_the_best_pair_first():
    """违规审批专项资金 is closest to 违规审批资金 (86), but taking that pair first would leave 审批资金 with nothing
    (it is only 67 alike to 违规审批资金拨付): the assignment pairs all four."""
    before = [point("违规审批资金"), point("违规审批资金拨付")]
    now = [point("违规审批专项资金"), point("审批资金")]
    assert match_points(before, now, 75) == [(0, 1), (1, 0)]
    changes = compare("计划财务处", 2026, 2025, before, now, 75)
    assert changes.same_as_previous and changes.new == [] and changes.removed == []


def test_a_rewording_alike_to_two_points_goes_to_the_one_of_its_post():
    before = [point("违规审批人事调动", "处长", 2), point("违规审批人事调动", "副处长", 3)]
    now = [point("违规审批人员调动", "副处长", 3)]  # reworded: as alike to both
    changes = compare("人事处", 2026, 2025, before, now, 75)
    assert (changes.removed, changes.level_changed) == ([before[0]], [])


def test_a_point_under_another_post_is_a_new_point():
    before = [point("利用职务便利挪用公款", "出纳")]
    now = [point("利用职务便利挪用公款", "会计")]
    changes = compare("计划财务处", 2026, 2025, before, now, 75)
    assert (changes.new, changes.removed) == (now, before)


def test_a_renamed_post_that_contains_the_old_name_keeps_the_point():
    before = [point("利用职务便利挪用公款", "出纳")]
    now = [point("利用职务之便挪用公款", "出纳岗")]
    assert match_points(before, now, 75) == [(0, 0)]


def test_spaces_punctuation_and_full_width_forms_are_no_change():
    before = [point("审核不严，违规报销", measures="1.报销双签；2.大额集体审批")]
    now = [point("审核不严 违规报销", measures="１、报销双签;２、大额集体审批。")]
    assert compare("计划财务处", 2026, 2025, before, now, 99).same_as_previous


def test_changes_in_level_and_measures_name_the_current_text():
    before = [point("审核不严，违规报销", level=2, measures="报销双签")]
    now = [point("审核把关不严，违规报销", level=1, measures="报销双签，大额集体审批")]
    data = compare("计划财务处", 2026, 2025, before, now, 75).as_dict()
    assert data == {"unit": "计划财务处", "year": 2026, "previous_year": 2025, "same_as_previous": False,
                    "new": [], "removed": [],
                    "level_changed": [{"risk": "审核把关不严，违规报销", "from": 2, "to": 1}],
                    "measures_changed": [{"risk": "审核把关不严，违规报销", "from": "报销双签",
                                          "to": "报销双签，大额集体审批"}]}


def test_nothing_to_match_against():
    now = [point("违规审批资金")]
    assert match_points([], now, 75) == [] and compare("基建处", 2026, 2025, [], now, 75).new == now
