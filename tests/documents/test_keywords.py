"""Keyword extraction must segment Chinese correctly (the reference site did not)."""

from wenku.documents.pipeline.keywords import extract_keywords, segment

REFERENCE_TITLE = "2023年关于发挥妇联群团组织作用的实践与思考"


def test_reference_title_keywords_are_segmented_correctly():
    keywords = extract_keywords(REFERENCE_TITLE, "")
    assert "年关" not in keywords
    assert "妇联" in keywords
    assert "群团" in keywords or "群团组织" in keywords
    assert "团组织" not in keywords


def test_number_with_unit_is_one_token():
    assert segment(REFERENCE_TITLE)[:2] == ["2023年", "关于"]


def test_stop_words_and_bare_numbers_are_not_keywords():
    keywords = extract_keywords("关于2024年度工作的思考", "我们 进行 了 100 次 实验")
    assert not {"关于", "我们", "进行", "2024年度", "100"} & set(keywords)


def test_title_words_rank_above_body_words():
    body = "图书 借阅 " * 3 + "志愿者 " * 4
    keywords = extract_keywords("社区图书馆建设", body)
    assert keywords[0] in {"社区图书馆", "社区", "图书馆"}


def test_english_keywords_are_case_folded_once():
    keywords = extract_keywords("Annual Report", "The annual report covers the museum budget.")
    lowered = [k.lower() for k in keywords]
    assert lowered.count("annual") == 1
    assert "the" not in lowered


def test_empty_input_gives_no_keywords():
    assert extract_keywords("", "") == []
