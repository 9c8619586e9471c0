#!/usr/bin/env python3
"""Builds the labelled wire-item fixture: template families, and the repeats, corrected re-filings,
trimmed versions and updates of single items, as a wire service files them.

    python3 tools/wire_fixture.py ../shared/corpus/reuters-earnings-briefs.jsonl fixtures/templates

Writes `wire-items.jsonl` (`id`, `text`) and `wire-labels.jsonl` (`a`, `b`, `label`, `reason`), every
pair inside a family labelled: `copy` when both are one item (a repeat, a correction, a trim, an
update), `distinct` when they are different items filled in from the family's template.

Families:
- `earn`: ten real Reuters earnings tables (1987, `reu-*` in the shared corpus; "Shr ... vs ...,
  Net ... vs ..., Revs ...") of different companies;
- `orders`: a monthly report written here, Japan's core machinery orders, six months of it;
- `award`: contract awards written here, six companies and programmes;
- `crop`: a weekly crop-condition report written here, five weeks.
Derived from some items of each: a repeat (`REPEAT-` before the headline, the text as filed), a
corrected re-filing (`CORRECTED-` before the headline, one figure changed, and a closing line
"(Corrects ... in paragraph N ...)"), a trimmed version (the last paragraph or the note cut), and
for prose items an update with a paragraph of reaction added (`UPDATE 1-`).
The output is deterministic: no random choice.
"""
import itertools
import json
import os
import sys

EARN_IDS = [
    "reu-20894", "reu-20639", "reu-5051", "reu-5911", "reu-1722",
    "reu-20207", "reu-20401", "reu-2619", "reu-8738", "reu-8292",
]

ORDERS = [
    # (month, next month, change, level, forecast, year on year, government view)
    ("January", "February", "rose 3.7", "812.4", "a 1.5 percent rise", "up 2.9", "picking up"),
    ("February", "March", "fell 2.1", "795.3", "a 0.8 percent rise", "down 0.4", "picking up"),
    ("March", "April", "rose 5.2", "836.6", "a 2.4 percent rise", "up 4.6", "picking up"),
    ("April", "May", "fell 0.9", "829.1", "a 0.6 percent fall", "up 1.8", "showing signs of pausing"),
    ("May", "June", "rose 1.4", "840.7", "a 1.0 percent rise", "up 3.3", "showing signs of pausing"),
    ("June", "July", "fell 4.6", "802.0", "a 1.9 percent fall", "down 1.2", "weakening"),
]

ORDERS_TEXT = """Japan {month} core machinery orders {change} pct m/m
TOKYO, {next} 12 (Reuters) - Japan's core machinery orders {change} percent in {month} from the previous month, Cabinet Office data showed on Wednesday, compared with economists' median forecast of {forecast}.
Core orders, a highly volatile data series regarded as an indicator of capital spending in the coming six to nine months, stood at {level} billion yen, seasonally adjusted.
Compared with a year earlier, core orders were {yoy} percent, the data showed.
The government kept its assessment that machinery orders were {view}.
Orders from manufacturers and non-manufacturers were both included in the core series, which excludes volatile orders for ships and those from electric utilities."""

AWARDS = [
    # (company, city, amount, programme, service, place, completion)
    ("Lockheed Martin Corp", "Fort Worth, Texas", "1.2 billion", "F-35 fighter jet spare parts", "Navy", "Fort Worth", "December 2021"),
    ("Raytheon Co", "Tucson, Arizona", "643 million", "Standard Missile-6 production", "Navy", "Tucson", "March 2022"),
    ("General Dynamics Land Systems", "Sterling Heights, Michigan", "714 million", "Abrams tank upgrades", "Army", "Lima, Ohio", "June 2023"),
    ("Boeing Co", "St. Louis, Missouri", "2.1 billion", "F/A-18 Super Hornet aircraft", "Navy", "St. Louis", "August 2022"),
    ("Northrop Grumman Systems Corp", "Linthicum, Maryland", "389 million", "airborne radar sustainment", "Air Force", "Baltimore", "September 2021"),
    ("Huntington Ingalls Inc", "Pascagoula, Mississippi", "936 million", "amphibious transport dock design", "Navy", "Pascagoula", "January 2024"),
]

AWARD_TEXT = """{company} wins ${amount} {service} contract for {programme}
WASHINGTON, Oct 3 (Reuters) - {company} of {city} has been awarded a ${amount} contract for {programme}, the Pentagon said on Wednesday.
Work will be performed in {place} and is expected to be completed by {completion}, the Department of Defense said in its daily list of contract awards.
The {service} will obligate fiscal 2019 procurement funds at the time of award, and none of the funds will expire at the end of the current fiscal year.
The contract was competitively procured via an electronic solicitation, the Pentagon said."""

CROPS = [
    # (week ending, report day, good/excellent corn, previous, year ago, soy good/excellent, previous, analysts)
    ("June 3", "June 4", "79", "78", "65", "74", "73", "78"),
    ("June 10", "June 11", "77", "79", "67", "75", "74", "78"),
    ("June 17", "June 18", "78", "77", "67", "73", "75", "77"),
    ("June 24", "June 25", "76", "78", "68", "71", "73", "77"),
    ("July 1", "July 2", "76", "76", "68", "71", "71", "76"),
]

CROP_TEXT = """U.S. corn rated {corn}% good-to-excellent in week to {week} -USDA
CHICAGO, {day} (Reuters) - The U.S. Agriculture Department rated {corn} percent of the U.S. corn crop in good-to-excellent condition in the week ended {week}, compared with {corn_prev} percent a week earlier and {corn_year} percent a year ago, the government said in a weekly report on Monday.
Analysts polled by Reuters had expected an average rating of {analysts} percent for corn.
The USDA rated {soy} percent of the soybean crop in good-to-excellent condition, against {soy_prev} percent the previous week.
The weekly report is based on surveys of extension agents and farm service agency staff in the 18 states that grow most of the crop."""


def paragraphs(text):
    return text.split("\n")


def corrected(text, old, new, where):
    """A re-filing with one figure corrected and the wire's correction line."""
    head, *body = paragraphs(text)
    assert old in text, (old, text[:80])
    fixed = "\n".join(["CORRECTED-" + head] + body).replace(old, new, 1)
    return fixed + f"\n(Corrects {where} to {new} from {old})"


def main():
    briefs_path, out_dir = sys.argv[1], sys.argv[2]
    briefs = {}
    with open(briefs_path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            briefs[r["id"]] = r
    items = []  # (id, family, item, text, how)

    def add(id_, family, item, text, how):
        items.append((id_, family, item, text, how))

    # Earnings tables: the title as the headline line, the table below it.
    def earnings(rid, body=None):
        r = briefs[rid]
        return r["title"].replace("&lt;", "<") + "\n" + (r["text"] if body is None else body)

    for rid in EARN_IDS:
        add(rid, "earn", rid, earnings(rid), "filed")
    for rid in EARN_IDS[:4]:
        add(rid + "-repeat", "earn", rid, "REPEAT-" + earnings(rid), "repeat")
    # Corrections of one figure each, in the quarter's net line.
    for rid, old, new in [
        ("reu-20894", "1,634,000", "1,643,000"),
        ("reu-5911", "1,683,000", "1,638,000"),
        ("reu-2619", "55.7 mln", "57.5 mln"),
    ]:
        text = corrected(earnings(rid), old, new, "quarter net")
        add(rid + "-corrected", "earn", rid, text, "corrected")
    # Trimmed: the note cut (the tables whose note runs to the end).
    for rid in ["reu-20639", "reu-1722", "reu-8738"]:
        body = briefs[rid]["text"]
        cut = body.index("NOTE") if "NOTE" in body else body.index("Note")
        add(rid + "-trimmed", "earn", rid, earnings(rid, body[:cut].rstrip()), "trimmed")

    # Monthly machinery orders.
    by_month = {o[0]: o for o in ORDERS}

    def orders(month):
        m, nxt, change, level, forecast, yoy, view = by_month[month]
        return ORDERS_TEXT.format(month=m, next=nxt, change=change, level=level,
                                  forecast=forecast, yoy=yoy, view=view)

    for month, *_ in ORDERS:
        add(f"orders-{month.lower()}", "orders", month, orders(month), "filed")

    add("orders-march-corrected", "orders", "March",
        corrected(orders("March"), "836.6", "863.6", "level of orders in paragraph 2"), "corrected")
    add("orders-may-corrected", "orders", "May",
        corrected(orders("May"), "up 3.3", "up 3.8", "year-on-year change in paragraph 3"),
        "corrected")
    add("orders-june-trimmed", "orders", "June",
        "\n".join(paragraphs(orders("June"))[:-1]), "trimmed")
    add("orders-january-repeat", "orders", "January", "REPEAT-" + orders("January"), "repeat")
    jan = paragraphs(orders("January"))
    update = jan[:3] + [
        "Economists said the rise suggested companies were sticking to investment plans despite "
        "worries over trade friction with the United States, though the series often swings "
        "sharply from month to month."
    ] + jan[3:]
    add("orders-january-update", "orders", "January", "UPDATE 1-" + "\n".join(update), "update")

    # Contract awards.
    def award(i):
        company, city, amount, programme, service, place, completion = AWARDS[i]
        return AWARD_TEXT.format(company=company, city=city, amount=amount, programme=programme,
                                 service=service, place=place, completion=completion)

    for i, a in enumerate(AWARDS):
        add(f"award-{i}", "award", i, award(i), "filed")
    add("award-1-corrected", "award", 1,
        corrected(award(1), "643 million", "634 million", "contract value in headline and paragraph 1"),
        "corrected")
    add("award-3-trimmed", "award", 3, "\n".join(paragraphs(award(3))[:-2]), "trimmed")
    add("award-4-repeat", "award", 4, "REPEAT-" + award(4), "repeat")

    # Weekly crop conditions.
    def crop(i):
        week, day, corn, corn_prev, corn_year, soy, soy_prev, analysts = CROPS[i]
        return CROP_TEXT.format(week=week, day=day, corn=corn, corn_prev=corn_prev,
                                corn_year=corn_year, soy=soy, soy_prev=soy_prev, analysts=analysts)

    for i, c in enumerate(CROPS):
        add(f"crop-{i}", "crop", i, crop(i), "filed")
    add("crop-2-corrected", "crop", 2,
        corrected(crop(2), "73 percent", "72 percent", "soybean rating in paragraph 3"), "corrected")
    add("crop-0-trimmed", "crop", 0, "\n".join(paragraphs(crop(0))[:2]), "trimmed")

    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "wire-items.jsonl"), "w", encoding="utf-8") as f:
        for id_, family, item, text, how in items:
            f.write(json.dumps({"id": id_, "text": text}, ensure_ascii=False) + "\n")
    with open(os.path.join(out_dir, "wire-labels.jsonl"), "w", encoding="utf-8") as f:
        for x, y in itertools.combinations(items, 2):
            if x[1] != y[1]:
                continue
            a, b = sorted((x[0], y[0]))
            if x[2] == y[2]:
                hows = sorted({x[4], y[4]} - {"filed"}) or ["filed"]
                label, reason = "copy", f"one {x[1]} item: {' and '.join(hows)}"
            else:
                label, reason = "distinct", f"two {x[1]} items from one template"
            f.write(json.dumps({"a": a, "b": b, "label": label, "reason": reason}) + "\n")


if __name__ == "__main__":
    main()
