"""Builds a labelled corpus the way a held-out evaluation might, differently from the dev set:

- other base articles: article paragraphs of real 2018 news pages (the Helsinki articles), a BBC
  subset and Reuters earnings briefs (short), chosen so that no two bases share 5% of their word
  5-grams (a test that does not use reprint);
- other chrome: headers and footers in styles absent from the dev set (cookie notices, "Click to
  share on X (Opens in new window)", tag lists, podcast plugs, tickers, excerpt attributions);
- other spins: WordNet synonyms (light 15%, heavy 35% of content words), garbling (synonyms, damaged
  function words, swapped neighbours), spun and shuffled sentences;
- near-duplicates (typos, a dropped sentence or an added note), excerpts (the first third to two
  thirds of the sentences), syndicated copies, and the remaining briefs and news pages as look-alikes
  with no copy.

Writes DOCS.jsonl and TRUTH.jsonl in the dev set's format, for ../shared/tools/score.py.

    apt-get install wordnet      # once: the thesaurus (Debian's wordnet data files)
    python3 tools/heldout_corpus.py ../shared/corpus OUT_DIR SEED
    cargo run --release -- dedupe OUT_DIR/docs.jsonl --pairs OUT_DIR/pairs.jsonl
    python3 ../shared/tools/score.py OUT_DIR/truth.jsonl OUT_DIR/pairs.jsonl
"""
import collections, csv, json, os, random, re, sys

shared, out_dir, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out_dir, exist_ok=True)
rng = random.Random(seed)
WORDNET = "/usr/share/wordnet"
if not os.path.exists(f"{WORDNET}/data.noun"):
    sys.exit(f"no WordNet data in {WORDNET}: apt-get install wordnet")

# --- WordNet synonyms (Debian's wordnet data files)
syn = collections.defaultdict(set)
for pos in ["noun", "verb", "adj", "adv"]:
    for line in open(f"{WORDNET}/data.{pos}", encoding="latin-1"):
        if line.startswith("  "):
            continue
        parts = line.split()
        n = int(parts[3], 16)
        words = [parts[4 + 2 * i].lower() for i in range(n)]
        words = [re.sub(r"\(.*\)$", "", w).replace("_", " ") for w in words]
        for w in words:
            for o in words:
                if o != w:
                    syn[w].add(o)
syn = {w: sorted(s) for w, s in syn.items()}

STOP = set("""a an the and or but if of to in on at by for with from as is was are were be been being it its
this that these those he she they we you i his her their our your my me him them us not no so than then
there here which who whom whose what when where why how all any some such only also very can could would
should will shall may might must do does did has have had said says say""".split())
TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*|\d[\d,.]*|\s+|[^\sA-Za-z\d]")


def match_case(src, word):
    if src[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def spin(text, rate):
    out = []
    for tok in TOKEN.findall(text):
        low = tok.lower()
        if tok[:1].isalpha() and low not in STOP and len(low) > 2 and low in syn and rng.random() < rate:
            out.append(match_case(tok, rng.choice(syn[low])))
        else:
            out.append(tok)
    return "".join(out)


SWAPS = {"the": ["a", "that", "the"], "a": ["the", "one"], "is": ["was", "be", "are"], "was": ["is", "were"],
         "of": ["from", "for"], "to": ["for", "in"], "in": ["at", "into"], "for": ["to", "of"],
         "with": ["along with", "by"], "will": ["would", "shall"], "has": ["have", "had"], "and": ["as well as", "&"]}


def garble(text):
    text = spin(text, 0.2)
    words = text.split(" ")
    for i, w in enumerate(words):
        if w.lower() in SWAPS and rng.random() < 0.5:
            words[i] = match_case(w, rng.choice(SWAPS[w.lower()]))
    for i in range(len(words) - 1):
        if rng.random() < 0.05 and words[i][-1:].isalpha() and words[i + 1][-1:].isalpha():
            words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def typos(text):
    def t(w):
        if len(w) > 4 and w.isalpha() and rng.random() < 0.03:
            i = rng.randrange(1, len(w) - 1)
            return w[:i] + w[i + 1:] if rng.random() < 0.5 else w[:i - 1] + w[i] + w[i - 1] + w[i + 1:]
        return w
    return " ".join(t(w) for w in text.split(" "))


def sentences(par):
    return [s for s in re.split(r"(?<=[.!?])\s+", par) if s]


def near_dup(paragraphs):
    ps = [typos(p) for p in paragraphs]
    r = rng.random()
    if r < 0.4 and len(ps) > 3:
        del ps[rng.randrange(1, len(ps))]
    elif r < 0.7:
        ps.insert(rng.randrange(1, len(ps) + 1), rng.choice([
            "This article has been updated to include a statement released on Thursday evening.",
            "Officials did not immediately respond to a request for comment on the latest developments.",
            "Correction: an earlier version of this story misstated the date of the announcement.",
        ]))
    return ps


def reorder(paragraphs):
    sents = [s for p in paragraphs for s in sentences(spin(p, 0.25))]
    head, rest = sents[:1], sents[1:]
    rng.shuffle(rest)
    out, i = [], 0
    while i < len(rest):
        k = rng.randint(2, 4)
        out.append(" ".join(rest[i:i + k]))
        i += k
    return head + out


SITES = ["Tribune Online", "NewsNow Daily", "The Clarion", "Metropolis Today", "Westside Wire", "Lakeshore News",
         "Civic Journal", "The Daily Brief", "Harborview Post", "Sunrise Gazette", "Northpoint Herald", "Capitol Ledger"]


def chrome(site, titles):
    head = rng.sample([
        "Skip to main content", "Menu", "Search", "Sign in", f"{site} — independent news since 1998",
        f"Breaking: {rng.choice(titles)}", "Listen to this article", "Reading time: 4 minutes",
        f"Last modified on {rng.randint(1, 28)} {rng.choice(['March', 'April', 'May'])} 2023",
    ], rng.randint(1, 4))
    foot = rng.sample([
        "Tags: politics, world, economy", "Filed under: World News",
        "Click to share on Twitter (Opens in new window)", "Click to share on Facebook (Opens in new window)",
        "Like this: Like Loading...",
        "We use cookies to improve your experience on our site. By continuing you accept our cookie policy.",
        "Get the latest headlines delivered to your inbox every morning.", "Email address",
        f"© 2023 {site} Media Group", "Report an error in this article", "Our Standards: The Trust Principles.",
        "Podcast: listen to our daily briefing wherever you get your podcasts.",
        "Trending now", rng.choice(titles), rng.choice(titles),
    ], rng.randint(2, 6))
    return head, foot


def wrap(site, titles, title, paragraphs):
    head, foot = chrome(site, titles)
    return "\n".join(head + [title] + paragraphs + foot)


# --- bases
bases = []  # (id, title, paragraphs, source)
csv.field_size_limit(1 << 30)
with open(f"{shared}/helsinki-summit-articles.csv", newline="") as f:
    hel = [{"id": r["id"], "text": r["text"].replace(" ### ", "\n"), "source": r["publisher"]}
           for r in csv.DictReader(f)]
# A scraped page's article paragraphs: its lines of 12 words or more (menus, captions and bylines are
# mostly shorter); the first is taken as the title.
for d in hel:
    d["paragraphs"] = [l.strip() for l in d["text"].split("\n") if len(l.split()) >= 12]
hel = [d for d in hel if sum(len(p.split()) for p in d["paragraphs"]) >= 150]
rng.shuffle(hel)
# Bases must be unrelated, by a test independent of reprint: no two share 5% of their word 5-grams.
def grams(t):
    w = re.findall(r"\w+", t.lower())
    return {" ".join(w[i:i + 5]) for i in range(len(w) - 4)}
def unrelated(items, text_of):
    chosen, chosen_grams = [], []
    for d in items:
        g = grams(text_of(d))
        if g and all(len(g & o) <= 0.05 * min(len(g), len(o)) for o in chosen_grams):
            chosen.append(d); chosen_grams.append(g)
    return chosen
hel = unrelated(hel, lambda d: " ".join(d["paragraphs"]))
def headline(d):
    first = d["text"].strip().split("\n")[0].strip()
    return first if 3 <= len(first.split()) <= 20 else " ".join(d["paragraphs"][0].split()[:10])
for d in hel[:200]:
    bases.append(("hel" + d["id"], headline(d), d["paragraphs"], d["source"]))
bbc = [json.loads(l) for l in open(f"{shared}/bbc-news.jsonl")]
rng.shuffle(bbc)
bbc = unrelated(bbc[:400], lambda d: d["text"])
for d in bbc[:200]:
    lines = [l for l in d["text"].split("\n") if l.strip()]
    bases.append(("bbc" + d["id"], d.get("title") or lines[0], lines, rng.choice(SITES)))
reu = [json.loads(l) for l in open(f"{shared}/reuters-earnings-briefs.jsonl")]
rng.shuffle(reu)
for d in reu[:80]:
    text = re.sub(r"\s+", " ", d["text"].replace("&lt;", "<").replace("&amp;", "&")).strip()
    if len(text.split()) < 40:
        continue
    bases.append(("reu" + d["id"], d["title"].replace("&lt;", "<").title(), [text], "Reuters"))
singletons = [("hel" + d["id"], "\n".join(d["paragraphs"]), d["source"]) for d in hel[200:]] + \
             [("reu" + d["id"], d["text"], "Reuters") for d in reu[80:]]
titles = [b[1] for b in bases]

docs, truth = [], []
KINDS = ["syndicated", "near_dup", "excerpt", "spun_light", "spun_heavy", "garbled", "spun_reordered"]
for n, (bid, title, paragraphs, source) in enumerate(bases):
    group = f"g{n:04d}"
    orig_id = f"{bid}-orig"
    text = wrap(source, titles, title, paragraphs)
    docs.append({"id": orig_id, "text": text, "source": source})
    truth.append({"id": orig_id, "group": group, "kind": "original", "origin": orig_id})
    for c in range(rng.choice([0, 1, 2, 2, 3, 4])):
        kind = rng.choice(KINDS)
        site = rng.choice(SITES)
        if kind == "syndicated":
            body = paragraphs
        elif kind == "near_dup":
            body = near_dup(paragraphs)
        elif kind == "excerpt":
            sents = [(i, s) for i, p in enumerate(paragraphs) for s in sentences(p)]
            if len(sents) < 3:
                continue
            k = max(1, round(len(sents) * rng.uniform(0.34, 0.67)))
            body = [" ".join(s for _, s in grp) for _, grp in __import__("itertools").groupby(sents[:k], key=lambda x: x[0])]
            body = body + [rng.choice([f"Continue reading the full story on {source}.",
                                                 f"This is an excerpt. The original appeared in {source}.",
                                                 "Full story: see the link below."])]
        elif kind == "spun_light":
            body = [spin(p, 0.15) for p in paragraphs]
        elif kind == "spun_heavy":
            body = [spin(p, 0.35) for p in paragraphs]
        elif kind == "garbled":
            body = [garble(p) for p in paragraphs]
        else:
            body = reorder(paragraphs)
        t = title if kind not in ("spun_light", "spun_heavy", "garbled", "spun_reordered") else spin(title, 0.3)
        did = f"{bid}-c{c}"
        docs.append({"id": did, "text": wrap(site, titles, t, body), "source": site})
        truth.append({"id": did, "group": group, "kind": kind, "origin": orig_id})
for sid, text, source in singletons:
    docs.append({"id": sid, "text": text, "source": source})
    truth.append({"id": sid, "group": "s-" + sid, "kind": "original", "origin": sid})
order = list(range(len(docs)))
rng.shuffle(order)
with open(f"{out_dir}/docs.jsonl", "w") as f:
    for i in order:
        f.write(json.dumps(docs[i]) + "\n")
with open(f"{out_dir}/truth.jsonl", "w") as f:
    for t in truth:
        f.write(json.dumps(t) + "\n")
print(len(docs), "docs", collections.Counter(t["kind"] for t in truth))
