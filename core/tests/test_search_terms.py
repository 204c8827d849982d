from core.search import highlight_spans, index_terms, query_terms


def terms(s: str) -> set[str]:
    return set(s.split())


def test_word_inside_a_longer_phrase_is_found():
    indexed = terms(index_terms("推进乡村振兴工作会议召开"))
    for query in ["乡村振兴", "振兴", "工作会议", "会议召开", "振"]:
        assert terms(query_terms(query)) <= indexed, query


def test_unrelated_words_are_not_found():
    indexed = terms(index_terms("推进乡村振兴工作会议召开"))
    assert not terms(query_terms("城市更新")) <= indexed
    assert not terms(query_terms("振会")) <= indexed


def test_mixed_latin_and_digits():
    indexed = terms(index_terms("2026年 HLS 直播课程"))
    assert terms(query_terms("hls 直播")) <= indexed
    assert "2026" in indexed


def test_highlight_marks_query_runs():
    spans = highlight_spans("推进乡村振兴工作会议召开", "振兴 会议")
    assert ("振兴", True) in spans and ("会议", True) in spans
    assert "".join(piece for piece, _ in spans) == "推进乡村振兴工作会议召开"
