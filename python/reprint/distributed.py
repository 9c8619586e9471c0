"""Deduplication beyond one machine, on Apache Spark.

    python -m reprint.distributed INPUT --pairs OUT.jsonl --clusters OUT.json [--address URL]

INPUT is JSON Lines (`id`, `text`, other fields kept as metadata; a file, a directory or a glob,
anything Spark reads). The pipeline runs as the field's distributed tools run it, each step a Spark
stage over Arrow record batches handed to reprint's Rust stages (`reprint.Stages`) without copying:

1. read and parse the records per partition (unusable lines are left out and counted, duplicate ids
   keep the first);
2. learn chrome: the keys of the lines the rules keep, per partition; documents per line and
   documents per (source, line) by aggregation; those counts joined back to each document's lines to
   give, per document, the share of it that recurs with each frequent line; the mean share per line
   by aggregation. The learned lines (a few thousand hashes) are broadcast to every worker;
3. prepare each document (strip, fingerprint, sign): body hash, title hash, word count, LSH band keys
   of both signatures, anchors;
4. exact copies grouped by body hash; candidates among the groups' representatives by shuffles on
   band keys (word shingles, content words), on anchors (containment: shared-anchor counts per pair)
   and on hashes (headline-only documents);
5. candidates joined with their two texts and verified;
6. verdicts expanded to every member of the exact-copy groups; connected components by iterated
   minimum-label propagation; each component's canonical original chosen by reprint's own rule.

Without `--address` it starts a local Spark cluster of two worker processes
(`local-cluster[2,1,1024]`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

ALL_CHANNELS = 1 | 2 | 4 | 8
SHINGLES, CONTENT, ANCHORS, HEADLINE = 1, 2, 4, 8

PREPARED_SCHEMA = (
    "doc long, body_hash long, title_hash long, words long, removed_share double, member boolean, "
    "headline boolean, shingle_bands array<long>, content_bands array<long>, anchors array<long>"
)
VERDICT_FIELDS = [
    ("kind", "string"),
    ("score", "double"),
    ("jaccard", "double"),
    ("containment", "double"),
    ("content_jaccard", "double"),
    ("aligned_sentences", "long"),
    ("aligned_share", "double"),
    ("substitution_rate", "double"),
    ("edit_rate", "double"),
    ("swapped_sentences", "double"),
    ("immutables", "double"),
    # A version's or partial pair's shared passage, as JSON (null for other kinds).
    ("passage", "string"),
]
VERDICT_SCHEMA = "a long, b long, " + ", ".join(f"{n} {t}" for n, t in VERDICT_FIELDS)


def _parse_batches(batches):
    """Arrow batches of `{doc, value}` (an input line and its place) → `{doc, id, text, source,
    published}` for each usable record (`published` as JSON)."""
    import pyarrow as pa

    for batch in batches:
        out: Dict[str, List[Any]] = {k: [] for k in ("doc", "id", "text", "source", "published")}
        for doc, line in zip(batch.column("doc").to_pylist(), batch.column("value").to_pylist()):
            try:
                record = json.loads(line)
            except (TypeError, ValueError):
                continue
            if not isinstance(record, dict):
                continue
            rid, text = record.get("id"), record.get("text")
            if isinstance(rid, int) and not isinstance(rid, bool):
                rid = str(rid)
            if not isinstance(rid, str) or not isinstance(text, str) or not text.strip():
                continue
            source, published = record.get("source"), record.get("published")
            out["doc"].append(doc)
            out["id"].append(rid)
            out["text"].append(text)
            out["source"].append(source if isinstance(source, str) else None)
            out["published"].append(json.dumps(published) if published is not None else None)
        yield pa.record_batch(
            [
                pa.array(out["doc"], pa.int64()),
                pa.array(out["id"], pa.string()),
                pa.array(out["text"], pa.string()),
                pa.array(out["source"], pa.string()),
                pa.array(out["published"], pa.string()),
            ],
            names=["doc", "id", "text", "source", "published"],
        )


def start_spark(address: Optional[str], workers: int, app: str = "reprint"):
    """A Spark session on `address` (a master URL), or on a local cluster of `workers` worker
    processes (one core and 1 GB each)."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(address or f"local-cluster[{workers},1,1024]")
        .appName(app)
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if address is None:
        # Local workers run this interpreter, which has reprint; a real cluster's nodes keep their
        # own settings (spark-defaults.conf: Python, memory, shuffle partitions).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = (
            builder.config("spark.pyspark.python", sys.executable)
            .config("spark.sql.shuffle.partitions", str(max(4, 2 * workers)))
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "1g")
            .config("spark.executor.memory", "900m")
        )
    return builder.getOrCreate()


class Run:
    """One distributed run: the Spark session, the settings, and each step as a method."""

    def __init__(self, spark, config: Optional[str] = None, partitions: Optional[int] = None):
        from reprint import Stages

        self.spark = spark
        self.config_json = config
        self.config = json.loads(Stages(config).config_json())
        self.partitions = partitions or max(4, 2 * spark.sparkContext.defaultParallelism)
        self.timings: Dict[str, float] = {}
        self.counts: Dict[str, int] = {}
        self._last = time.perf_counter()

    def _lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._last, 3)
        self._last = now

    # 1. Records.
    def read(self, path: str):
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        # Increasing ids in input order (partition, then line): the order the CLI numbers documents.
        lines = self.spark.read.text(path).withColumn("doc", F.monotonically_increasing_id())
        docs = lines.mapInArrow(
            _parse_batches, "doc long, id string, text string, source string, published string"
        )
        first = Window.partitionBy("id").orderBy("doc")
        docs = (
            docs.withColumn("n", F.row_number().over(first))
            .where("n = 1")
            .drop("n")
            .repartition(self.partitions, "doc")
            .persist()
        )
        self.counts["records"] = lines.count()
        self.counts["documents"] = docs.count()
        self._lap("read")
        return docs

    # 2. Learned chrome.
    def learn_chrome(self, docs) -> Tuple[List[int], List[int]]:
        """The learned chrome lines and site lines, by aggregations over line statistics."""
        from pyspark.sql import functions as F

        b = self.config["boilerplate"]
        if not b["learn"]:
            return [], []
        config = self.config_json
        lines = (
            docs.select("doc", "text")
            .mapInArrow(_each_batch("line_keys", config), "doc long, hash long, bytes long, prose boolean, words long")
            .join(docs.select("doc", "source"), "doc")
            .persist()
        )
        distinct = lines.select("doc", "hash", "source").distinct()
        df = distinct.groupBy("hash").agg(F.count("*").alias("df"))
        source_df = (
            distinct.where(F.col("source").isNotNull())
            .groupBy("source", "hash")
            .agg(F.count("*").alias("source_df"))
            .persist()
        )
        rows = (
            lines.join(df, "hash")
            .join(source_df, ["source", "hash"], "left")
            .withColumn(
                "frequent",
                (F.col("df") >= b["min_df"])
                | (F.coalesce(F.col("source_df"), F.lit(0)) >= b["min_source_df"]),
            )
            .select("doc", "hash", "bytes", "df", "frequent")
            .repartition(self.partitions, "doc")
            .sortWithinPartitions("doc")
        )

        def block_shares(batches):
            import pyarrow as pa
            from reprint import Stages

            stages = Stages(config)
            # A document's lines must reach the stage together: the partition's batches as one.
            batches = list(batches)
            if not batches:
                return
            table = pa.Table.from_batches(batches)
            for batch in table.combine_chunks().to_batches(max_chunksize=table.num_rows):
                yield stages.block_shares(batch)

        shares = rows.mapInArrow(block_shares, "hash long, share double")
        learned = (
            shares.groupBy("hash")
            .agg(F.sum("share").alias("sum"), F.count("*").alias("n"))
            .where(F.col("sum") / F.col("n") <= b["max_block_share"])
            .select("hash")
            .persist()
        )
        # A learned paragraph of prose that many sources print, none of them in half its documents,
        # is a story's text (a wire paragraph), not a site's: kept, as the batch learner keeps it.
        spread = (
            learned.join(
                source_df.groupBy("hash").agg(
                    F.count("*").alias("sources"), F.max("source_df").alias("most")
                ),
                "hash",
            )
            .join(df, "hash")
            .join(lines.select("hash", "prose", "words").dropDuplicates(["hash"]), "hash")
            .collect()
        )
        from reprint import Stages

        stages = Stages(config)
        story = {
            r.hash
            for r in spread
            if stages.is_story_line(bool(r.prose), int(r.words), int(r.sources), int(r.most), int(r.df))
        }
        if story:
            learned = learned.where(~F.col("hash").isin(list(story))).persist()
        site = (
            source_df.where(F.col("source_df") >= b["min_source_df"])
            .select("hash")
            .distinct()
            .join(learned, "hash")
        )
        chrome = [r.hash for r in learned.collect()]
        site_chrome = [r.hash for r in site.collect()]
        lines.unpersist()
        source_df.unpersist()
        learned.unpersist()
        self.counts["learned_chrome_lines"] = len(chrome)
        self._lap("learn chrome")
        return chrome, site_chrome

    # 3. Prepared documents.
    def prepare(self, docs, chrome: List[int], site_chrome: List[int]):
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        learned = self.spark.sparkContext.broadcast((chrome, site_chrome))
        prepare = _each_batch("prepare", self.config_json, learned)
        prepared = docs.select("doc", "text").mapInArrow(prepare, PREPARED_SCHEMA)
        # Each document's exact-copy group: its representative is the group's first document.
        group = Window.partitionBy("body_hash")
        prepared = (
            prepared.withColumn(
                "rep",
                F.when(F.col("body_hash").isNull(), F.col("doc")).otherwise(
                    F.min("doc").over(group)
                ),
            )
            .withColumn(
                "group_size",
                F.when(F.col("body_hash").isNull(), F.lit(1)).otherwise(F.count("*").over(group)),
            )
            .persist()
        )
        prepared.count()
        self._lap("prepare")
        return prepared

    # 4. Candidates.
    def candidates(self, prepared):
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        c = self.config
        reps = prepared.where("doc = rep")
        members = reps.where("member")
        max_bucket = c["max_bucket"]

        def banded(column: str, bit: int):
            # A bucket's pairs, as `lsh::candidate_pairs` makes them: every pair, or for a bucket
            # larger than max_bucket each member linked to the next.
            bucket = Window.partitionBy("band", "key")
            keys = (
                members.select("doc", F.posexplode(column).alias("band", "key"))
                .withColumn("size", F.count("*").over(bucket))
                .where("size > 1")
            )
            normal = keys.where(F.col("size") <= max_bucket)
            every = (
                normal.alias("x")
                .join(normal.alias("y"), ["band", "key"])
                .where(F.col("x.doc") < F.col("y.doc"))
                .select(F.col("x.doc").alias("a"), F.col("y.doc").alias("b"))
            )
            chained = (
                keys.where(F.col("size") > max_bucket)
                .withColumn("next", F.lead("doc").over(bucket.orderBy("doc")))
                .where(F.col("next").isNotNull())
                .select(F.col("doc").alias("a"), F.col("next").alias("b"))
            )
            return every.unionByName(chained).withColumn("channels", F.lit(bit))

        # Anchors: documents sharing enough of the anchors of the one with fewer, or a passage's
        # worth of anchors (`passage_anchors`) whatever share that is.
        postings = members.select("doc", F.explode("anchors").alias("anchor"))
        common = postings.groupBy("anchor").agg(F.count("*").alias("df"))
        kept = postings.join(common.where(F.col("df") <= c["anchor_max_df"]), "anchor")
        per_doc = kept.groupBy("doc").agg(F.count("*").alias("anchors"))
        shared = (
            kept.where("df > 1")
            .alias("x")
            .join(kept.where("df > 1").alias("y"), "anchor")
            .where(F.col("x.doc") < F.col("y.doc"))
            .groupBy(F.col("x.doc").alias("a"), F.col("y.doc").alias("b"))
            .agg(F.count("*").alias("shared"))
        )
        contained = (
            shared.join(per_doc.withColumnRenamed("doc", "a").withColumnRenamed("anchors", "na"), "a")
            .join(per_doc.withColumnRenamed("doc", "b").withColumnRenamed("anchors", "nb"), "b")
            .withColumn("fewest", F.least("na", "nb"))
            .where(
                (F.col("shared") >= F.lit(c["passage_anchors"]))
                | (
                    (F.col("shared") >= F.least(F.lit(c["min_shared_anchors"]), F.col("fewest")))
                    & (F.col("shared") >= F.lit(c["anchor_containment"]) * F.col("fewest"))
                )
            )
            .select("a", "b", F.lit(ANCHORS).alias("channels"))
        )
        # Headline-only documents and the documents whose title they are.
        titled = members.select(F.col("doc").alias("other"), F.col("title_hash").alias("h"))
        headlines = (
            reps.where("headline")
            .select("doc", F.col("body_hash").alias("h"))
            .join(titled, "h")
            .select(
                F.least("doc", "other").alias("a"),
                F.greatest("doc", "other").alias("b"),
                F.lit(HEADLINE).alias("channels"),
            )
        )
        candidates = (
            banded("shingle_bands", SHINGLES)
            .unionByName(banded("content_bands", CONTENT))
            .unionByName(contained)
            .unionByName(headlines)
            .groupBy("a", "b")
            .agg(F.bit_or("channels").alias("channels"))
            .persist()
        )
        self.counts["candidates"] = candidates.count()
        self._lap("candidates")
        return candidates

    # 5. Verification.
    def verify(self, docs, candidates, chrome: List[int], site_chrome: List[int]):
        from pyspark.sql import functions as F

        learned = self.spark.sparkContext.broadcast((chrome, site_chrome))
        verify = _each_batch("verify", self.config_json, learned)
        texts = docs.select("doc", "text")
        with_texts = (
            candidates.join(texts.select(F.col("doc").alias("a"), F.col("text").alias("text_a")), "a")
            .join(texts.select(F.col("doc").alias("b"), F.col("text").alias("text_b")), "b")
            .select("a", "b", "text_a", "text_b", "channels")
            .repartition(self.partitions)
        )
        verified = with_texts.mapInArrow(verify, VERDICT_SCHEMA).persist()
        self.counts["verified"] = verified.count()
        self._lap("verify")
        return verified

    # 6. Pairs of every document, clusters.
    def expand(self, prepared, verified):
        """Every pair the representatives' verdicts imply, with both documents' stripped shares."""
        from pyspark.sql import functions as F
        from reprint import Stages

        exact = json.loads(Stages(self.config_json).exact_record())
        max_group = self.config["max_bucket"]
        # The pairs inside each group of identical bodies: all of them, or a star around the
        # representative for a group larger than max_bucket.
        grouped = prepared.where("group_size > 1").select("doc", "rep", "group_size")
        small = grouped.where(F.col("group_size") <= max_group)
        exact_pairs = (
            small.alias("x")
            .join(small.alias("y"), "rep")
            .where(F.col("x.doc") < F.col("y.doc"))
            .select(F.col("x.doc").alias("a"), F.col("y.doc").alias("b"))
            .unionByName(
                grouped.where((F.col("group_size") > max_group) & (F.col("doc") != F.col("rep")))
                .select(F.col("rep").alias("a"), F.col("doc").alias("b"))
            )
        )
        for name, kind in VERDICT_FIELDS:
            value = exact.get(name)
            exact_pairs = exact_pairs.withColumn(name, F.lit(value).cast(kind))
        members = prepared.select("doc", "rep")
        x = members.select(F.col("doc").alias("x"), F.col("rep").alias("a"))
        y = members.select(F.col("doc").alias("y"), F.col("rep").alias("b"))
        measures = [name for name, _ in VERDICT_FIELDS]
        copies = (
            verified.join(x, "a")
            .join(y, "b")
            .select(
                F.least("x", "y").alias("a"), F.greatest("x", "y").alias("b"), *measures
            )
        )
        shares = prepared.select("doc", "removed_share")
        pairs = (
            copies.unionByName(exact_pairs)
            .join(shares.select(F.col("doc").alias("a"), F.col("removed_share").alias("stripped_a")), "a")
            .join(shares.select(F.col("doc").alias("b"), F.col("removed_share").alias("stripped_b")), "b")
            .persist()
        )
        self.counts["pairs"] = pairs.count()
        self._lap("expand")
        return pairs

    def components(self, pairs):
        """Each linked document's component, named by its lowest document: minimum labels
        propagated along the pairs until none changes."""
        from pyspark.sql import functions as F

        edges = (
            pairs.select(F.col("a").alias("src"), F.col("b").alias("dst"))
            .unionByName(pairs.select(F.col("b").alias("src"), F.col("a").alias("dst")))
            .distinct()
            .persist()
        )
        labels = edges.select(F.col("src").alias("doc")).distinct().withColumn("label", F.col("doc"))
        labels = labels.localCheckpoint()
        rounds = 0
        while True:
            rounds += 1
            offered = (
                edges.join(labels.withColumnRenamed("doc", "src"), "src")
                .groupBy(F.col("dst").alias("doc"))
                .agg(F.min("label").alias("offered"))
            )
            # One job a round: the new labels, checkpointed, then counted where they changed.
            updated = (
                labels.join(offered, "doc", "left")
                .select(
                    "doc",
                    F.least("label", F.coalesce("offered", "label")).alias("label"),
                    F.coalesce(F.col("offered") < F.col("label"), F.lit(False)).alias("changed"),
                )
                .localCheckpoint()
            )
            changed = updated.where("changed").count()
            labels = updated.drop("changed")
            if changed == 0:
                break
        edges.unpersist()
        self.counts["component_rounds"] = rounds
        self._lap("components")
        return labels

    def guard_hubs(self, pairs, labels):
        """The pairs with the links a hub must not cluster by judged `partial` (scored by their
        passage's share), as `dedupe` judges them: each component of the clustered pairs is
        searched once (`Stages.hub_cuts`). Returns the pairs and whether any changed."""
        from pyspark.sql import functions as F
        from reprint import Stages

        links = (
            pairs.where(F.col("kind").isin(Stages.kinds_joining_clusters()))
            .join(labels.withColumnRenamed("doc", "a"), "a")
            .groupBy("label")
            .agg(F.collect_list(F.struct("a", "b", "kind", "score")).alias("links"))
        )

        def cuts(rows):
            from reprint import Stages

            for row in rows:
                # In pair order, over members in document order, as `dedupe` searches them.
                ordered = sorted(row.links, key=lambda l: (l.a, l.b))
                docs = sorted({l.a for l in ordered} | {l.b for l in ordered})
                index = {d: i for i, d in enumerate(docs)}
                local = [(index[l.a], index[l.b], l.kind, l.score) for l in ordered]
                for i in Stages.hub_cuts(len(docs), local):
                    yield (ordered[i].a, ordered[i].b)

        cut = links.rdd.mapPartitions(cuts).collect()
        self.counts["hub_cuts"] = len(cut)
        self._lap("hubs")
        if not cut:
            return pairs, False
        flagged = self.spark.createDataFrame(cut, "a long, b long").withColumn("hub", F.lit(True))
        hub = F.coalesce(F.col("hub"), F.lit(False))
        share = F.get_json_object("passage", "$.share").cast("double")
        guarded = (
            pairs.join(flagged, ["a", "b"], "left")
            .withColumn("kind", F.when(hub, F.lit("partial")).otherwise(F.col("kind")))
            .withColumn("score", F.when(hub, share).otherwise(F.col("score")))
            .drop("hub")
            .persist()
        )
        return guarded, True

    def clusters(self, docs, pairs, labels, chrome: List[int], site_chrome: List[int]):
        """Each component's cluster record, as the CLI's clusters file has it."""
        from pyspark.sql import functions as F

        config = self.config_json
        learned = self.spark.sparkContext.broadcast((chrome, site_chrome))
        members = (
            labels.join(docs.select("doc", "id", "text", "published"), "doc")
            .groupBy("label")
            .agg(F.collect_list(F.struct("doc", "id", "text", "published")).alias("members"))
        )
        links = (
            pairs.join(labels.withColumnRenamed("doc", "a"), "a")
            .groupBy("label")
            .agg(F.collect_list(F.struct("a", "b", "kind", "score")).alias("links"))
        )

        def records(rows):
            from reprint import Stages

            stages = Stages(config, *learned.value)
            for row in rows:
                yield _cluster_record(stages, row.members, row.links)

        out = members.join(links, "label").rdd.mapPartitions(records).collect()
        out.sort(key=lambda r: (-r[1]["size"], r[0]))
        self._lap("clusters")
        return [record for _, record in out]


def _each_batch(stage: str, config: str, learned=None):
    """A `mapInArrow` function that runs `Stages.<stage>` on each Arrow batch of a partition, with
    one `Stages` per partition, made on the worker from the configuration and, where given, the
    broadcast learned chrome."""

    def run(batches):
        from reprint import Stages

        stages = Stages(config, *learned.value) if learned is not None else Stages(config)
        step = getattr(stages, stage)
        for batch in batches:
            yield step(batch)

    return run


def _cluster_record(stages, members, links) -> Tuple[int, Dict[str, Any]]:
    """(canonical's document number, its clusters-file record) of one component."""
    members = sorted(members, key=lambda m: m.doc)
    index = {m.doc: i for i, m in enumerate(members)}
    pairs = [(index[l.a], index[l.b]) for l in links]
    chosen = stages.cluster([m.text for m in members], [m.published for m in members], pairs)
    canonical, reason = chosen if chosen is not None else (0, "most_complete")
    # Each member's pairs in (a, b) order: its link is the pair with the canonical member, else its
    # strongest pair (the last of equals, as the CLI picks it).
    own: Dict[int, List[Any]] = {i: [] for i in range(len(members))}
    for link in sorted(links, key=lambda l: (l.a, l.b)):
        own[index[link.a]].append((index[link.b], link))
        own[index[link.b]].append((index[link.a], link))
    records = []
    for i, m in enumerate(members):
        record: Dict[str, Any] = {"id": m.id}
        if i != canonical and own[i]:
            direct = [x for x in own[i] if x[0] == canonical]
            if direct:
                other, link = direct[0]
            else:
                best = max(l.score for _, l in own[i])
                other, link = [x for x in own[i] if x[1].score == best][-1]
            record["kind"] = link.kind
            record["score"] = link.score
            if other != canonical:
                record["via"] = members[other].id
        records.append(record)
    return members[canonical].doc, {
        "canonical": members[canonical].id,
        "reason": reason,
        "size": len(members),
        "members": records,
    }


def round4(x: float) -> float:
    """Rounds to four decimals as the CLI does (half away from zero)."""
    return math.copysign(math.floor(abs(x) * 10_000.0 + 0.5), x) / 10_000.0


def _pair_line(row) -> str:
    record: Dict[str, Any] = {"a": row.id_a, "b": row.id_b}
    for name, _ in VERDICT_FIELDS:
        value = getattr(row, name)
        if value is not None:
            record[name] = json.loads(value) if name == "passage" else value
    record["stripped_a"] = round4(row.stripped_a)
    record["stripped_b"] = round4(row.stripped_b)
    # As serde_json writes it: no spaces, text as it is.
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def _write_atomic(path: str, write) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as out:
        write(out)
    os.replace(tmp, path)


def run(
    spark,
    input_path: str,
    pairs_path: str,
    clusters_path: str,
    config: Optional[str] = None,
    partitions: Optional[int] = None,
) -> Dict[str, Any]:
    """Runs the whole pipeline on `spark`; writes the pairs (JSON Lines, the CLI's `--pairs` format,
    sorted by input order) and the clusters (the CLI's `--clusters` format). Returns counts and
    timings."""
    from pyspark.sql import functions as F

    job = Run(spark, config, partitions)
    docs = job.read(input_path)
    chrome, site_chrome = job.learn_chrome(docs)
    prepared = job.prepare(docs, chrome, site_chrome)
    candidates = job.candidates(prepared)
    verified = job.verify(docs, candidates, chrome, site_chrome)
    pairs = job.expand(prepared, verified)
    # Partial pairs (different articles sharing a passage) are reported but join no cluster.
    from reprint import Stages

    clustered = pairs.where(F.col("kind").isin(Stages.kinds_joining_clusters()))
    labels = job.components(clustered)
    # Nor do the weak links by which a hub would join two groups that nothing else links.
    pairs, changed = job.guard_hubs(pairs, labels)
    if changed:
        clustered = pairs.where(F.col("kind").isin(Stages.kinds_joining_clusters()))
        labels = job.components(clustered)
    clusters = job.clusters(docs, clustered, labels, chrome, site_chrome)
    ids = docs.select("doc", "id")
    named = (
        pairs.join(ids.select(F.col("doc").alias("a"), F.col("id").alias("id_a")), "a")
        .join(ids.select(F.col("doc").alias("b"), F.col("id").alias("id_b")), "b")
        .orderBy("a", "b")
    )

    def write_pairs(out):
        for row in named.toLocalIterator():
            out.write(_pair_line(row))
            out.write("\n")

    _write_atomic(pairs_path, write_pairs)
    _write_atomic(
        clusters_path,
        lambda out: (
            json.dump({"clusters": clusters}, out, indent=2, ensure_ascii=False),
            out.write("\n"),
        ),
    )
    job.counts["clusters"] = len(clusters)
    job._lap("write")
    return {"counts": job.counts, "seconds": job.timings}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reprint.distributed",
        description="Find the copies in a JSON Lines corpus on Spark: fingerprints per partition, "
        "a shuffle on LSH band keys, verification of candidate pairs, connected components, "
        "canonical originals.",
    )
    parser.add_argument("input", help="JSON Lines: a file, directory or glob Spark can read")
    parser.add_argument("--pairs", required=True, help="write the pairs here (JSON Lines)")
    parser.add_argument("--clusters", required=True, help="write the clusters here (JSON)")
    parser.add_argument(
        "--engine",
        choices=["spark"],
        default="spark",
        help="the engine (Spark; Ray Data is not implemented)",
    )
    parser.add_argument(
        "--address",
        help="the Spark master URL (spark://HOST:7077, yarn, k8s://...); default: a local cluster "
        "of --workers worker processes",
    )
    parser.add_argument("--workers", type=int, default=2, help="local workers (default 2)")
    parser.add_argument("--partitions", type=int, help="partitions of the documents")
    parser.add_argument("--config", help="a JSON Config file (fields of reprint's Config)")
    args = parser.parse_args(argv)
    local = "://" not in args.input and not any(c in args.input for c in "*?[")
    if local and not os.path.exists(args.input):
        parser.error(f"{args.input}: no such file or directory")
    config = None
    if args.config:
        with open(args.config, encoding="utf-8") as f:
            config = json.dumps(json.load(f))
    spark = start_spark(args.address, args.workers)
    try:
        summary = run(spark, args.input, args.pairs, args.clusters, config, args.partitions)
    finally:
        spark.stop()
    json.dump(summary, sys.stderr)
    sys.stderr.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
