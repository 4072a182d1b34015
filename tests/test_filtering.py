"""Filter-as-you-type matching."""

from __future__ import annotations

from rostergui.core.filtering import SearchQuery, fold


def test_words_in_any_order_case_and_accent_insensitive() -> None:
    hay = fold("Zoë Ångström\x1fzoe@example.edu\x1fu42")
    assert SearchQuery("angstrom zoe").matches(hay)
    assert SearchQuery("ZOË").matches(hay)
    assert SearchQuery("u42 example").matches(hay)
    assert not SearchQuery("zoe smith").matches(hay)


def test_cjk_and_empty_queries() -> None:
    assert SearchQuery("小明").matches(fold("王小明"))
    assert SearchQuery("   ").matches("anything")
    assert not SearchQuery("   ")


def test_narrows_only_when_the_new_query_is_stricter() -> None:
    assert SearchQuery("jos").narrows(SearchQuery("jo"))
    assert SearchQuery("jo smi").narrows(SearchQuery("jo"))
    assert not SearchQuery("j").narrows(SearchQuery("jo"))
    assert SearchQuery("anything").narrows(SearchQuery(""))
