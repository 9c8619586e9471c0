"""reprint.Index: documents added over time, checked against everything held."""

import pytest

import reprint
from conftest import SAMPLE, read_jsonl

STORY = (
    "The central bank raised its main interest rate by a quarter point on Thursday, citing "
    "persistent inflation in services and a tight labour market."
)


def test_add_check_remove_and_cluster_of(tmp_path):
    path = tmp_path / "index"
    index = reprint.Index(path)
    assert index.add({"id": "wire", "text": STORY, "published": "2024-05-01"}) == []
    matches = index.add(
        {"id": "outlet", "text": STORY + "\nShare this article", "published": "2024-05-02"}
    )
    assert [(m["id"], m["kind"], m["score"]) for m in matches] == [("wire", "exact", 1.0)]
    # Checking stores nothing.
    assert sorted(m["id"] for m in index.check(STORY)) == ["outlet", "wire"]
    assert [m["id"] for m in index.check({"id": "wire", "text": STORY})] == ["outlet"]
    assert len(index) == 2 and "wire" in index and "other" not in index
    cluster = index.cluster_of("outlet")
    assert cluster == {"canonical": "wire", "reason": "earliest_published", "members": ["wire", "outlet"]}
    assert index.get("wire")["published"] == "2024-05-01"
    # The same id with the same text changes nothing; with another text it is refused.
    assert index.add({"id": "wire", "text": STORY}) == []
    with pytest.raises(ValueError):
        index.add({"id": "wire", "text": "Another story altogether, about the weather in spring."})
    assert index.remove("wire") is True and index.remove("wire") is False
    assert index.cluster_of("outlet") is None and len(index) == 1
    del index
    # Reopened, it holds what was added; opened with other settings, it says which differs.
    assert len(reprint.Index(path)) == 1
    with pytest.raises(ValueError, match="shingle_size"):
        reprint.Index(path, shingle_size=4)
    with pytest.raises(TypeError, match="unknown setting"):
        reprint.Index(tmp_path / "other", shingle_sise=4)


def test_a_batch_added_after_another_finds_dedupes_pairs_across_them(tmp_path):
    records = read_jsonl(SAMPLE)
    first, second = records[::2], records[1::2]
    index = reprint.Index(tmp_path / "index")
    added = index.add_batch(first) + index.add_batch(second)
    assert [r["status"] for r in added] == ["added"] * len(records)
    found = {(r["id"], m["id"]) for r in added for m in r["matches"]}
    second_ids = {r["id"] for r in second}
    across = {
        (p["b"], p["a"]) if p["b"] in second_ids else (p["a"], p["b"])
        for p in reprint.dedupe(records).pairs
        if (p["a"] in second_ids) != (p["b"] in second_ids)
    }
    # The index learns chrome incrementally, batch by batch: 151 of the 156 pairs when measured.
    assert across and len(across & found) >= 0.95 * len(across)
    assert index.stats()["documents"] == len(records)


def test_a_batch_reports_a_conflicting_id_and_replaces_it_when_asked(tmp_path):
    index = reprint.Index(tmp_path / "index")
    index.add({"id": "wire", "text": STORY})
    other = "Heavy rain flooded several streets in the old town overnight, and cellars filled."
    (result,) = index.add_batch([{"id": "wire", "text": other}])
    assert result["status"] == "conflict" and index.get("wire")["text"] == STORY
    (result,) = index.add_batch([{"id": "wire", "text": other}], replace=True)
    assert result["status"] == "replaced" and index.get("wire")["text"] == other


def test_an_empty_id_is_a_value_error_and_a_skipped_record_in_a_batch(tmp_path):
    index = reprint.Index(tmp_path / "index")
    with pytest.raises(ValueError, match="empty id"):
        index.add({"id": "", "text": STORY})
    with pytest.raises(ValueError, match="empty id"):
        index.check({"id": "", "text": STORY})
    results = index.add_batch([{"id": "", "text": STORY}, {"id": "wire", "text": STORY}])
    assert [r["status"] for r in results] == ["skipped", "added"]
    assert "empty id" in results[0]["reason"]
    assert len(index) == 1 and "" not in index
