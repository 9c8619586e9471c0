"""reprint.dedupe and reprint.compare: the pipeline in this process."""

import datetime
import json

import pytest

import reprint
from conftest import SAMPLE, pair_set, read_jsonl, score

STORY = (
    "The central bank raised its main interest rate by a quarter point on Thursday, citing "
    "persistent inflation in services and a tight labour market."
)
OTHER = (
    "Heavy rain flooded several streets in the old town overnight, and the fire service pumped "
    "out dozens of cellars before the morning traffic."
)


def test_dedupe_on_the_dev_corpus_gives_the_clis_pairs(devset, cli_pairs, tmp_path):
    records = read_jsonl(devset / "docs.jsonl")
    out = reprint.dedupe(records)
    cli = read_jsonl(cli_pairs)
    assert pair_set(out.pairs) == pair_set(cli)
    # Every field as the CLI writes it.
    assert out.pairs == cli
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in out.pairs))
    figures = score(devset / "truth.jsonl", path)
    assert figures["f1"] >= 0.99, figures


def test_outcome_keeps_records_with_their_metadata_and_names_the_original():
    records = [
        {"id": "outlet", "text": STORY + "\nShare this article", "published": "2024-05-02"},
        {"id": "wire", "text": STORY, "published": datetime.date(2024, 5, 1), "url": "w"},
        {"id": "other", "text": OTHER},
    ]
    out = reprint.dedupe(records)
    assert [(p["a"], p["b"], p["kind"]) for p in out.pairs] == [("outlet", "wire", "exact")]
    assert out.pairs[0]["stripped_a"] > 0 and out.pairs[0]["stripped_b"] == 0
    (cluster,) = out.clusters
    assert cluster["canonical"] == "wire" and cluster["reason"] == "earliest_published"
    assert cluster["size"] == 2
    # The kept records are the input objects themselves: the original and the unrelated story.
    assert out.kept == [records[1], records[2]] and out.kept[0] is records[1]
    # Identical bodies are grouped, not paired by candidates.
    assert out.skipped == [] and out.stats["candidates"] == 0


def test_unusable_records_are_skipped_or_refused():
    out = reprint.dedupe([{"id": 1, "text": STORY}, {"id": "1", "text": STORY}, {"id": "e", "text": " "}])
    assert [i for i, _ in out.skipped] == [1, 2]
    assert "duplicate" in out.skipped[0][1] and out.pairs == []
    with pytest.raises(ValueError, match="record 0: missing field 'text'"):
        reprint.dedupe([{"id": "x"}])
    with pytest.raises(TypeError, match="record 0"):
        reprint.dedupe([{"id": "x", "text": 3}])


def test_settings_map_onto_config_fields_and_unknown_names_raise():
    records = read_jsonl(SAMPLE)
    default = reprint.dedupe(records)
    strict = reprint.dedupe(records, near_duplicate=0.99)
    kinds = lambda out: sum(p["kind"] == "near_duplicate" for p in out.pairs)
    assert 0 < kinds(strict) < kinds(default)
    unlearned = reprint.dedupe(records, boilerplate={"learn": False})
    assert unlearned.stats["learned_chrome_lines"] == 0 < default.stats["learned_chrome_lines"]
    with pytest.raises(TypeError, match="unknown setting 'treshold'"):
        reprint.dedupe(records, treshold=0.5)
    with pytest.raises(TypeError, match="unknown boilerplate setting 'lern'"):
        reprint.dedupe(records, boilerplate={"lern": False})
    with pytest.raises(ValueError, match="num_perm"):
        reprint.dedupe(records, num_perm=4)


def test_compare_explains_a_copy_and_a_non_copy():
    copy = reprint.compare({"id": "wire", "text": STORY}, STORY + "\nShare this article")
    assert copy and copy.copies and copy.kind == "exact" and copy.score == 1.0
    assert copy.explanation.startswith("wire and b are copies: exact")
    assert copy.stripped_b and copy.stripped_b[0]["text"] == "Share this article"
    assert str(copy) == copy.explanation
    other = reprint.compare(STORY, OTHER)
    assert not other and other.kind is None and other.score is None
    assert "a and b are not copies" in other.explanation
    assert 0 <= other.measures["overlap"]["jaccard"] < 0.1
