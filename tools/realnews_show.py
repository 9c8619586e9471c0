#!/usr/bin/env python3
"""Shows two Helsinki articles for labelling, paragraph by paragraph, with their publishers.

    python3 tools/realnews_show.py HELSINKI.jsonl ID_A ID_B
"""
import json
import sys


def main():
    path, wanted = sys.argv[1], sys.argv[2:]
    docs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d["id"] in wanted:
                docs[d["id"]] = d
    for i in wanted:
        d = docs[i]
        print(f"===== {i} ({d['source']}, {len(d['text'].split())} words) =====")
        for n, para in enumerate(d["text"].split("\n"), 1):
            print(f"[{n}] {para}")
        print()


if __name__ == "__main__":
    main()
