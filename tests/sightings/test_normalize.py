"""Normalisation rules: every spelling folds to one, and evidence offsets point at the original."""

from hypothesis import given
from hypothesis import strategies as st

from canary.sightings.normalize import fold, fold_char, is_han, normalize, normalize_token


def test_full_width_digits_and_letters_fold_to_ascii():
    assert normalize("ＳＦ１２３").text == "SF123"


def test_lower_case_letters_fold_to_upper_case_only_for_ascii():
    assert normalize("sf123 straße").text == "SF123 STRAßE"


def test_invisible_format_characters_are_dropped():
    assert normalize("138\u200b0013\ufeff8000").text == "13800138000"


def test_spaces_and_hyphens_between_digit_groups_are_removed():
    assert normalize("138 0013 8000").text == "13800138000"
    assert normalize("138-0013-8000").text == "13800138000"
    assert normalize("138\u30000013\u00a08000").text == "13800138000"  # ideographic space, NBSP


def test_separator_between_waybill_letters_and_digits_is_removed():
    assert normalize("SF 1234567890123").text == "SF1234567890123"


def test_dates_times_and_prices_keep_their_separators():
    assert normalize("2024-05-01 10:20:30 ¥12.50").text == "2024-05-01 10:20:30 ¥12.50"


def test_a_short_digit_group_is_never_glued_to_a_phone():
    assert normalize("数量 2 13800138000").text == "数量 2 13800138000"


def test_removed_separators_leave_soft_boundaries():
    norm = normalize("138 0013 8000")
    assert norm.soft == {3, 7}


def test_offsets_map_back_to_the_original_text():
    original = "电话：１３８ ００１３ ８０００。"
    norm = normalize(original)
    start = norm.text.index("13800138000")
    begin, end = norm.original_span(start, start + 11)
    assert original[begin:end] == "１３８ ００１３ ８０００"


def test_masks_are_not_folded_into_letters_elsewhere():
    assert normalize("xbox ＊").text == "XBOX *"


def test_tokens_are_normalised_like_text():
    assert normalize_token(" sf１２３ ") == "SF123"


def test_han_detection_covers_common_and_extension_ideographs():
    assert is_han("张") and is_han("\U00020000")
    assert not is_han("，") and not is_han("A")


@given(
    st.text(
        alphabet=st.sampled_from(list("0123456789 -.abcSF张三丰１２３ｓＦ＊\u200b\u3000\u00a0‥①⼈")),
        max_size=40,
    )
)
def test_quick_folding_equals_folding_character_by_character(text):
    assert fold(text) == "".join(fold_char(char) for char in text)


def test_chinese_text_with_a_folding_character_after_many_ideographs_is_still_folded():
    # Plain lines (ASCII and CJK ideographs, which never fold) skip the character table; a
    # full-width digit or a zero-width space anywhere after them must not be skipped with them.
    text = "收件人地址" * 40 + "电话１３８\u200b００１３８０００"
    assert normalize(text).text.endswith("电话13800138000")
    assert fold(text).endswith("电话13800138000")
    assert normalize("张三丰 SF1234").text == "张三丰 SF1234"
