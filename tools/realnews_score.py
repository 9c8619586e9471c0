#!/usr/bin/env python3
"""Scores predicted pairs against real-news labels, as ../shared/LABELLING.md asks.

    python3 tools/realnews_score.py LABELS.jsonl PAIRS.jsonl [--json] [--part all|tune|check] [--errors]

LABELS: one `{"a", "b", "label": "copy|partial|distinct", ...}` a line (several files may be
concatenated; a pair labelled twice keeps its last label). PAIRS: reprint's `--pairs` output (`a`,
`b`, `kind`).

Predicted pairs are closed transitively into clusters, except pairs predicted `partial`, which never
join clusters. A `copy` pair is found when both articles share a cluster; a `distinct` pair in one
cluster is a false merge. Precision, recall and F1 are on `copy` against `distinct`. `partial` pairs
are reported apart: how many labelled `partial` are predicted `partial` (directly), how many labelled
`distinct` are predicted `partial`, and where the labelled partial pairs landed otherwise.

`--part tune` scores only the pairs used to choose defaults (three in four, in label order of the
sorted pair list), `--part check` only the held-back fourth (every 4th pair), which is never tuned on.
`--errors` lists the missed copies, false merges and partial calls.
"""
import json
import sys


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def key(a, b):
    return (a, b) if a <= b else (b, a)


class Union:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def split_part(labels, part):
    """Every 4th labelled pair, in sorted pair order, is the check part."""
    ordered = sorted(labels)
    if part == "all":
        return labels
    keep = {p for i, p in enumerate(ordered) if (i % 4 == 3) == (part == "check")}
    return {p: l for p, l in labels.items() if p in keep}


def score(labels, pairs):
    clusters = Union()
    predicted = {}
    for p in pairs:
        predicted[key(p["a"], p["b"])] = p.get("kind", "")
        if p.get("kind") != "partial":
            clusters.union(p["a"], p["b"])
    tp = fn = fp = tn = 0
    partial_called = partial_total = distinct_partial = 0
    partial_as_copy = 0
    errors = []
    for (a, b), label in sorted(labels.items()):
        together = clusters.find(a) == clusters.find(b)
        kind = predicted.get((a, b))
        if label == "copy":
            if together:
                tp += 1
            else:
                fn += 1
                errors.append(("missed copy", a, b, kind))
        elif label == "distinct":
            if together:
                fp += 1
                errors.append(("false merge", a, b, kind))
            else:
                tn += 1
            if kind == "partial":
                distinct_partial += 1
                errors.append(("distinct called partial", a, b, kind))
        elif label == "partial":
            partial_total += 1
            if kind == "partial":
                partial_called += 1
            elif together:
                partial_as_copy += 1
                errors.append(("partial merged", a, b, kind))
            else:
                errors.append(("partial not called", a, b, kind))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    result = {
        "labelled": len(labels),
        "copy": tp + fn,
        "distinct": fp + tn,
        "partial": partial_total,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "true_positives": tp,
        "missed_copies": fn,
        "false_merges": fp,
        "partial_called_partial": partial_called,
        "partial_merged_as_copy": partial_as_copy,
        "distinct_called_partial": distinct_partial,
    }
    return result, errors


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    part = "all"
    for i, a in enumerate(sys.argv):
        if a == "--part" and i + 1 < len(sys.argv):
            part = sys.argv[i + 1]
            args = [x for x in args if x != part]
    if len(args) != 2 or part not in ("all", "tune", "check"):
        sys.exit(__doc__)
    labels = {}
    for row in load_jsonl(args[0]):
        if row.get("label") in ("copy", "partial", "distinct"):
            labels[key(row["a"], row["b"])] = row["label"]
    labels = split_part(labels, part)
    result, errors = score(labels, load_jsonl(args[1]))
    result["part"] = part
    if "--json" in flags:
        print(json.dumps(result))
    else:
        print(
            f"{result['labelled']} labelled pairs ({part}): {result['copy']} copy, "
            f"{result['distinct']} distinct, {result['partial']} partial"
        )
        print(
            f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  "
            f"F1 {result['f1']:.3f}  ({result['missed_copies']} copies missed, "
            f"{result['false_merges']} false merges)"
        )
        print(
            f"partial: {result['partial_called_partial']} of {result['partial']} called partial, "
            f"{result['partial_merged_as_copy']} merged as copies; "
            f"{result['distinct_called_partial']} distinct called partial"
        )
    if "--errors" in flags:
        for what, a, b, kind in errors:
            print(f"  {what}: {a} {b} (predicted {kind or 'nothing'})")


if __name__ == "__main__":
    main()
