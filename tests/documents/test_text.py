"""Line and page joining: Chinese words never split, English words never glued."""

from wenku.documents.pipeline.text import is_cjk, join_pages, page_text


def test_chinese_word_split_across_lines_is_rejoined_without_space():
    assert page_text("协助党委和另一方\r\n面做好工作") == "协助党委和另一方面做好工作"


def test_english_lines_keep_a_space_between_words():
    assert page_text("This is an English\r\nsentence over lines") == (
        "This is an English sentence over lines"
    )


def test_mixed_script_break_takes_no_space_next_to_chinese():
    assert page_text("共有\r\n134个村\r\n完成换届") == "共有134个村完成换届"


def test_sentence_end_keeps_the_line_break():
    assert page_text("第一段结束。\r\n第二段开始") == "第一段结束。\n第二段开始"


def test_blank_line_is_a_paragraph_break():
    assert page_text("first part\r\n\r\nsecond part") == "first part\nsecond part"


def test_words_split_across_pages_are_joined():
    assert join_pages(["第一段。\n开展义", "诊义治活动"]) == "第一段。\n开展义诊义治活动"


def test_numbers_and_punctuation_survive_byte_for_byte():
    text = "覆盖率已达100%，村妇代会134个、乡（镇）妇联12个；6.26禁毒日、11.25反家暴日"
    assert page_text(text) == text


def test_hyphenated_line_end_is_not_spaced():
    assert page_text("a well-\r\nknown fact") == "a well-known fact"


def test_control_characters_are_dropped_but_text_kept():
    assert page_text("abc\x00\x07def") == "abcdef"


def test_is_cjk():
    assert is_cjk("中") and is_cjk("，") and is_cjk("の") and is_cjk("𠮟")
    assert not is_cjk("a") and not is_cjk("1") and not is_cjk(",")


def test_short_heading_line_is_its_own_paragraph():
    raw = "\r\n".join(
        [
            "社区图书馆建设",
            "社区图书馆是居民身边的公共文化空间，过去三年我们在十二个社区试点建设",
            "了阅读圈，让居民步行一刻钟就能借到一本书，坐下来读一会儿书，这是我们",
            "的目标",
        ]
    )
    assert page_text(raw) == (
        "社区图书馆建设\n"
        "社区图书馆是居民身边的公共文化空间，过去三年我们在十二个社区试点建设"
        "了阅读圈，让居民步行一刻钟就能借到一本书，坐下来读一会儿书，这是我们的目标"
    )


def test_page_break_after_a_sentence_keeps_the_paragraph_break():
    assert join_pages(["第一页结束。", "第二页开始"]) == "第一页结束。\n第二页开始"
