#!/usr/bin/env python3
"""The Helsinki-summit CSV as reprint's JSONL: one article a line, id `h<id>`, source the publisher,
paragraphs (` ### ` in the CSV) as lines.

    python3 tools/helsinki_jsonl.py ../shared/corpus/helsinki-summit-articles.csv OUT.jsonl
"""
import csv
import json
import sys


def articles(path):
    csv.field_size_limit(1 << 30)
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            yield {
                "id": f"h{row['id']}",
                "source": row["publisher"],
                "scraped": row["scrape_time"],
                "text": "\n".join(p.strip() for p in row["text"].split(" ### ")),
            }


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        for article in articles(sys.argv[1]):
            out.write(json.dumps(article, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
