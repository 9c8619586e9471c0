#!/usr/bin/env python3
"""Samples pairs of real Helsinki articles to label, stratified by word 5-gram containment (the share
of the smaller article's 5-grams found in the other), as ../shared/LABELLING.md asks: pairs across the
whole range of similarity, not only those a detector finds. Pages under 80 words are left out.

    python3 tools/realnews_sample.py /tmp/helsinki.jsonl fixtures/realnews/sample.jsonl [SEED]

Writes one `{"a", "b", "containment5", "stratum"}` a line. Deterministic for a seed.
"""
import json
import random
import re
import sys

STRATA = [  # (low, high, how many)
    (0.0, 0.05, 45),
    (0.05, 0.2, 80),
    (0.2, 0.5, 85),
    (0.5, 0.8, 75),
    (0.8, 1.01, 75),
]
# Pairs the issue names: always in the sample.
NAMED = [("h1070", "h6949"), ("h2634", "h9851"), ("h4273", "h10315")]


def grams(text, n=5):
    words = re.findall(r"\w+", text.lower())
    return words, {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def main():
    src, out = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 14
    docs = [json.loads(line) for line in open(src, encoding="utf-8")]
    sets = {}
    for d in docs:
        words, g = grams(d["text"])
        if len(words) >= 80:
            sets[d["id"]] = g
    ids = sorted(sets, key=lambda i: int(i[1:]))
    # Inverted index: only pairs sharing a 5-gram get a containment above 0.
    postings = {}
    for i in ids:
        for g in sets[i]:
            postings.setdefault(g, []).append(i)
    shared = {}
    for members in postings.values():
        if len(members) > 200:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                key = (members[x], members[y])
                shared[key] = shared.get(key, 0) + 1
    rng = random.Random(seed)
    strata = {s: [] for s in range(len(STRATA))}
    for (a, b), n in shared.items():
        c = n / max(1, min(len(sets[a]), len(sets[b])))
        for s, (lo, hi, _) in enumerate(STRATA):
            if lo <= c < hi:
                strata[s].append((a, b, c))
    # The lowest stratum also takes pairs sharing nothing at all, half of its draw.
    zero = []
    while len(zero) < STRATA[0][2] // 2:
        a, b = sorted(rng.sample(ids, 2), key=lambda i: int(i[1:]))
        if (a, b) not in shared:
            zero.append((a, b, 0.0))
    chosen = {}
    for a, b in NAMED:
        if a in sets and b in sets:
            n = len(sets[a] & sets[b])
            chosen[(a, b)] = (n / min(len(sets[a]), len(sets[b])), "named")
    for s, (lo, hi, want) in enumerate(STRATA):
        pool = sorted(strata[s])
        if s == 0:
            take = rng.sample(pool, min(len(pool), want - len(zero))) + zero
        else:
            take = rng.sample(pool, min(len(pool), want))
        for a, b, c in take:
            chosen.setdefault((a, b), (c, f"{lo:.2f}-{min(hi, 1):.2f}"))
    with open(out, "w", encoding="utf-8") as f:
        for (a, b), (c, stratum) in sorted(chosen.items(), key=lambda kv: (kv[1][0], kv[0])):
            f.write(json.dumps({"a": a, "b": b, "containment5": round(c, 3), "stratum": stratum}) + "\n")
    print(f"{len(chosen)} pairs; pool sizes by stratum: {[len(strata[s]) for s in strata]}", file=sys.stderr)


if __name__ == "__main__":
    main()
