"""The distributed run on a real local Spark cluster (two worker processes), and the Arrow stages
it is made of."""

import json
import subprocess
import sys

import pyarrow as pa
import pytest

import reprint
from conftest import PYTHON_DIR, SAMPLE, pair_set, read_jsonl, score
from reprint.distributed import run


def test_stages_take_any_string_layout_and_hash_as_int64():
    stages = reprint.Stages()
    texts = [
        "Title line here\nFirst paragraph of the story with enough words to count.",
        "Markets rally as rates fall",
    ]
    for kind in (pa.string(), pa.large_string(), pa.string_view()):
        batch = pa.record_batch({"doc": pa.array([7, 8], pa.int64()), "text": pa.array(texts, kind)})
        prepared = stages.prepare(batch)
        assert prepared.column("doc").to_pylist() == [7, 8]
        assert prepared.schema.field("body_hash").type == pa.int64()
        assert prepared.column("words").to_pylist() == [13, 5]
        assert prepared.column("member").to_pylist() == [True, False]
        assert prepared.column("headline").to_pylist() == [False, True]
        assert len(prepared.column("shingle_bands")[0]) == 42 and prepared.column("anchors")[1].as_py() == []
    with pytest.raises(ValueError, match="no column \"text\""):
        stages.prepare(pa.record_batch({"doc": pa.array([1], pa.int64())}))


def test_the_sample_distributed_gives_the_pairs_and_clusters_of_dedupe(spark, tmp_path):
    """On a real two-worker cluster, every pair (with every measure) and every cluster of the
    in-process pipeline, learned chrome included."""
    pairs, clusters = tmp_path / "pairs.jsonl", tmp_path / "clusters.json"
    summary = run(spark, str(SAMPLE), str(pairs), str(clusters))
    expected = reprint.dedupe(read_jsonl(SAMPLE))
    got = read_jsonl(pairs)
    assert summary["counts"]["learned_chrome_lines"] == expected.stats["learned_chrome_lines"] > 0
    assert pair_set(got) == pair_set(expected.pairs)
    assert got == expected.pairs
    assert json.loads(clusters.read_text())["clusters"] == expected.clusters


def test_a_partial_pair_is_reported_but_joins_no_cluster(spark, tmp_path):
    """Real Helsinki articles: two pairs of editions (versions) and an AP brief inside another
    article (partial). The partial pair is in the pairs file, as dedupe has it, but in no cluster."""
    kinds = PYTHON_DIR.parent / "fixtures" / "realnews" / "kinds.jsonl"
    pairs, clusters = tmp_path / "pairs.jsonl", tmp_path / "clusters.json"
    run(spark, str(kinds), str(pairs), str(clusters))
    expected = reprint.dedupe(read_jsonl(kinds))
    got = read_jsonl(pairs)
    assert {(p["a"], p["b"], p["kind"]) for p in got} == {
        (p["a"], p["b"], p["kind"]) for p in expected.pairs
    }
    assert any(p["kind"] == "partial" for p in got)
    found = json.loads(clusters.read_text())["clusters"]
    assert found == expected.clusters
    assert all(c["size"] == 2 for c in found) and len(found) == 2


def test_stages_hub_cuts_cuts_a_hubs_versions_and_the_hub_they_make():
    """Over members 0..4: h (0) a near-duplicate of D (1) and a version of p1 (2) and p2 (3), x (4)
    a version of p1 and a near-duplicate of p2. h's versions are cut; then x's version of p1, as
    p1 hangs from x by a version while x has a strong side."""
    links = [
        (0, 1, "near_duplicate", 0.9),
        (0, 2, "version", 0.6),
        (0, 3, "version", 0.6),
        (2, 4, "version", 0.6),
        (3, 4, "near_duplicate", 0.9),
    ]
    assert reprint.Stages.hub_cuts(5, links) == [1, 2, 3]
    # A hub with no strong side keeps its heaviest weak side; one with two strong sides keeps both.
    assert reprint.Stages.hub_cuts(3, [(0, 1, "version", 0.8), (0, 2, "version", 0.6)]) == [1]
    assert reprint.Stages.hub_cuts(3, [(0, 1, "near_duplicate", 0.8), (1, 2, "excerpt", 0.9)]) == []
    with pytest.raises(ValueError):
        reprint.Stages.hub_cuts(2, [(0, 1, "no such kind", 0.5)])


def test_the_spark_job_reports_a_hubs_version_links_partial_as_dedupe_does(spark, tmp_path):
    """Real Helsinki bodies: a Syracuse.com page (h11580) a near-duplicate of a Sun-Times page
    (h5779) and a version of a HotAir commentary (h7036); a CNBC story (h6456) a near-duplicate of
    its other edition (h4547) and a version of another CNBC story (h12903). The Spark job's
    `guard_hubs` reports each hub's version link `partial` and clusters the near-duplicates."""
    hubs = PYTHON_DIR.parent / "fixtures" / "realnews" / "hubs.jsonl"
    pairs, clusters = tmp_path / "pairs.jsonl", tmp_path / "clusters.json"
    summary = run(spark, str(hubs), str(pairs), str(clusters))
    kinds = {(p["a"], p["b"]): p["kind"] for p in read_jsonl(pairs)}
    assert kinds[("h11580", "h7036")] == "partial"
    assert kinds[("h6456", "h12903")] == "partial"
    assert summary["counts"]["hub_cuts"] == 2
    found = json.loads(clusters.read_text())["clusters"]
    assert sorted(sorted(m["id"] for m in c["members"]) for c in found) == [
        ["h11580", "h5779"],
        ["h4547", "h6456"],
    ]
    expected = reprint.dedupe(read_jsonl(hubs))
    assert read_jsonl(pairs) == expected.pairs
    assert found == expected.clusters


def test_python_m_reprint_distributed_on_the_dev_corpus(devset, cli_pairs, tmp_path):
    """The judged command: F1 at least 0.99 and within 0.005 of the CLI's."""
    pairs, clusters = tmp_path / "pairs.jsonl", tmp_path / "clusters.json"
    subprocess.run(
        [sys.executable, "-m", "reprint.distributed", str(devset / "docs.jsonl"),
         "--pairs", str(pairs), "--clusters", str(clusters)],
        check=True,
        cwd=PYTHON_DIR.parent,
    )
    ours = score(devset / "truth.jsonl", pairs)
    cli = score(devset / "truth.jsonl", cli_pairs)
    print("distributed", ours, "cli", cli)
    assert ours["f1"] >= 0.99
    assert abs(ours["f1"] - cli["f1"]) <= 0.005
    # The CLI's pairs file, byte for byte.
    assert pairs.read_bytes() == cli_pairs.read_bytes()
    assert len(json.loads(clusters.read_text())["clusters"]) > 0


def test_a_missing_input_is_a_usage_error_before_spark_starts(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "reprint.distributed", str(tmp_path / "absent.jsonl"),
         "--pairs", str(tmp_path / "p"), "--clusters", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        cwd=PYTHON_DIR.parent,
    )
    assert out.returncode == 2
    assert "absent.jsonl: no such file or directory" in out.stderr
