use super::*;
use proptest::prelude::*;

fn stripper() -> Stripper {
    Stripper::new(Rules::builtin(), 0.8)
}

/// The rule (if any) that removes a line standing between two body paragraphs.
fn rule_for(line: &str) -> Option<String> {
    let body = "The minister said on Tuesday that the talks would continue next week in Geneva.";
    let text = format!("{body}\n{body} More.\n{line}\n{body} Again and again.");
    let stripped = stripper().strip(&text);
    stripped
        .removals()
        .iter()
        .find(|r| &text[r.range.clone()] == line)
        .map(|r| r.rule.clone())
}

/// Every rule family removes real chrome lines, from the seeds, the dev corpus and the Helsinki
/// articles (live sites, 2018).
#[test]
fn rule_families_remove_their_chrome() {
    let cases = [
        ("Denial of any Responsibility!", "disclaimer/"),
        ("FILE - In this June 24, 2003 file photo Russian President, Vladimir Putin, stands by Britain's Queen Elizabeth II before they enter Buckingham Palace, London.", "caption/"),
        ("U.S. President Donald Trump attends a working breakfast with Finnish President Sauli Niinisto in Helsinki, Finland, Monday, July 16, 2018 prior to his meeting with Russian President Vladimir Putin in the Finnish capital. (AP Photo/Pablo Martinez Monsivais)", "caption/"),
        ("Russia's new ambassador to Finland Pavel Kuznetsov, left, escorts Russian President Vladimir Putin as he disembarks the plane at Helsinki airport in Vantaa, Finland, Monday, July 16, 2018. (Roni Rekomaa/Lehtikuva via AP)", "caption/"),
        ("U.S. President Donald Trump and Russia's President Vladimir Putin shake hands as they meet in Helsinki, Finland, July 16, 2018, before their first summit meeting since Trump took office. (REUTERS/Kevin Lamarque)", "caption/"),
        ("AsumeTech is a News Source that Publishes News from its Editorial Team and the Automatic News Aggregation around the News Media. The Content is aggregated from RT News; each piece of Content includes the hyperlink to its Source.", "disclaimer/"),
        ("All the Copyrights and Trademarks belong to their Rightful Owners and all Materials to their Authors.", "disclaimer/"),
        ("READ ALSO: The lights come on out at diplomatic meetings with Blinken & Lavrov (VIDEO)", "cross-link/"),
        ("Read More: World News", "cross-link/"),
        ("TO KNOW MORE: Russia has a date for Putin-Biden talks", "cross-link/"),
        ("See also  Bella Thorne vs Tana Mongeau: Feud Explained: History and Timeline", "cross-link/"),
        ("Read the full story at The Daily Planet", "cross-link/"),
        ("Source RT News.", "credit/"),
        ("Stay with Stanford Arts Review for More Updates.", "credit/"),
        ("Leave a Reply", "comments/"),
        ("Be First to Comment", "comments/"),
        ("Leave the first comment", "comments/"),
        ("What is your opinion on this topic?", "comments/"),
        ("To find out more about Facebook commenting please read the Conversation Guidelines and FAQs", "comments/"),
        ("Click here to comment on this article", "cross-link/"),
        ("Copyright 2018 by CNN NewSource. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.", "copyright/"),
        ("© 2018 Reuters", "copyright/"),
        ("Advertisement", "advert/"),
        ("Now Playing:", "advert/"),
        ("Back to Gallery", "advert/"),
        ("___", "advert/"),
        ("Share", "share/"),
        ("Connect Tweet LinkedIn CommentEmailMore", "share/"),
        ("Sign up for our daily newsletter and get the best of The New Yorker in your in-box.", "share/"),
        ("Be the first to know.", "share/"),
        ("Follow us on Twitter and Facebook", "share/"),
        ("By The Associated Press", "credit/"),
        ("By Reuters", "credit/"),
        ("By Jonathan Lemire and Vladimir Isachenkov", "byline/"),
        ("The Associated Press", "credit/"),
        ("(Additional reporting by James Davey and Alex Fraser; Writing by Guy Faulconbridge; Editing by Mark Potter)", "credit/"),
        ("Associated Press writers Jill Colvin and Zeke Miller contributed to this report.", "credit/"),
        ("Colvin reported from Glasgow, Scotland.", "credit/"),
        ("Photograph by Brendan Smialowski / AFP / Getty", "credit/"),
        ("July 15, 2018", "dateline/"),
        ("Sunday, Jul 15th 2018 5-Day Forecast", "dateline/"),
        ("19:29", "dateline/"),
        ("7:50 a.m.", "dateline/"),
        ("Updated", "dateline/"),
        ("Harbor Herald | Home | Local | Business | Sport | Weather", "nav/"),
        ("News • Politics • Europe", "nav/"),
        ("By Valley Times staff", "byline/"),
        ("This is an excerpt. The original appeared in The Clarion.", "credit/"),
        ("The original version of this story appeared in Politico.", "credit/"),
        ("Excerpted from \"The Room Where It Happened\" by John Bolton.", "credit/"),
        ("Last modified on Mon 16 Jul 2018 12.00 BST", "dateline/"),
        ("Breaking: Trump and Putin begin one-on-one talks in Helsinki", "cross-link/"),
        ("BREAKING NEWS - Finnish police detain protesters near the presidential palace", "cross-link/"),
    ];
    let mut failures = Vec::new();
    for (line, family) in cases {
        match rule_for(line) {
            Some(rule) if rule.starts_with(family) => {}
            other => failures.push(format!("{line:?}: want {family}…, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Sentences of real articles that look a little like chrome must stay.
#[test]
fn body_sentences_are_kept() {
    let body = [
        "Sources said the meeting was cancelled.",
        "By Monday, the talks had collapsed and both delegations had gone home.",
        "Read the statement below, which the Kremlin released on Friday.",
        "The advertisement was banned by the regulator after complaints from viewers.",
        "Share prices fell 3% in early trading in London.",
        "Comments made by the president drew criticism from both parties.",
        "Related talks in Vienna are expected to resume in September.",
        "Source code for the app was published on Thursday.",
        "\"There are areas in we have overlapping interests\" Blinken said.",
        "Follow-up talks are planned for the autumn, officials said.",
        "Most read newspapers saw circulation fall in 2004, the survey found.",
        "The original plan appeared in a memo leaked to reporters last month.",
        "This is an extraordinary moment for the alliance, the secretary general said.",
        "Breaking the deadlock will need concessions from both sides.",
        "Just in time for the summit, the two sides agreed on an agenda.",
        "Last month's talks ended without agreement.",
        "Putin arrived via Vantaa airport (via a side entrance, officials said).",
    ];
    for line in body {
        assert_eq!(rule_for(line), None, "{line:?} was removed");
    }
}

#[test]
fn read_next_block_goes_to_the_end() {
    let text = "Putin is set to meet the envoy, according to a report.\n\
                The meeting is expected to be a significant diplomatic development for both nations.\n\
                Read next\n19:29\nThe UK has withdrawn accreditation for a Russian diplomat.\n\
                18:32\nRussia's presidential aide has claimed that Europe escalates the situation.\n";
    let stripped = stripper().strip(text);
    assert_eq!(stripped.kept().len(), 2);
    assert_eq!(stripped.removals().len(), 1);
    assert_eq!(stripped.removals()[0].rule, "link-list/header");
    assert!(stripped.body(text).ends_with("both nations."));
}

#[test]
fn a_header_near_the_top_only_removes_its_line() {
    let text = "Related\nFirst paragraph of the story, which runs on for long enough to be an \
                article's paragraph rather than a headline in a list of links.\n\
                Second paragraph of the story.\nThird paragraph of the story.";
    let stripped = stripper().strip(text);
    assert_eq!(stripped.kept().len(), 3);
}

#[test]
fn a_link_list_is_removed_whatever_its_share() {
    let text =
        "Abba reunite for musical premiere\nRead next\n21:23\nITunes user sues Apple over iPod\n\
                19:09\nKhodorkovsky quits Yukos shares\n16:59\nThe Force is strong in Battlefront";
    let stripped = Stripper::new(Rules::builtin(), 0.5).strip(text);
    assert_eq!(stripped.refused(), None);
    assert_eq!(stripped.body(text), "Abba reunite for musical premiere");
}

/// A `rest` header whose block of long lines after it would remove too much of the document.
const REST_BLOCK_TOO_LONG: &str = "The story begins here with a long first paragraph of the article \
    body.\nRelated\nOne more line of the story, and this one goes on for quite a while, with clause \
    after clause, as long paragraphs of real articles tend to do in print.\nAnother line of the \
    story.\nAnd another one.";

#[test]
fn a_rest_block_of_long_lines_that_would_remove_too_much_is_withdrawn_and_reported() {
    let text = REST_BLOCK_TOO_LONG;
    let stripped = Stripper::new(Rules::builtin(), 0.3).strip(text);
    assert!(stripped.refused().unwrap() > 0.3);
    // The header line itself is still chrome; the lines after it stay.
    assert_eq!(stripped.removals().len(), 1);
    assert_eq!(stripped.kept().len(), 4);
}

#[test]
fn line_rule_removals_stand_even_when_they_are_most_of_the_document() {
    let text = "Advertisement\nShare\nSign up\nThe end of a very short brief.";
    let stripped = Stripper::new(Rules::builtin(), 0.5).strip(text);
    assert_eq!(stripped.refused(), None);
    assert_eq!(stripped.body(text), "The end of a very short brief.");
}

#[test]
fn line_keys_hash_the_body_as_fingerprinting_does() {
    let s = stripper();
    let mut scratch = String::new();
    let mut keys = Vec::new();
    for text in [
        "\u{201C}Talks\u{201D}  began \u{2014} in Geneva.\n\u{200B}\nThey ended.\nAdvertisement",
        "--\n\u{a0}",
        "",
    ] {
        let stripped = s.strip(text);
        let mut normalized = String::new();
        assert_eq!(
            line_keys(text, &stripped, &mut scratch, &mut keys),
            crate::fingerprint::body_hash(stripped.lines(text), &mut normalized),
            "{text:?}"
        );
    }
}

/// Chrome learned from a corpus of six documents that share only `line`.
fn chrome_of(line: LineKey) -> LearnedChrome {
    let docs: Vec<Vec<LineKey>> = (0..6)
        .map(|i| {
            let own = LineKey {
                hash: i,
                words: 40,
                bytes: 200,
                prose: true,
                figures: 0,
            };
            vec![own, line]
        })
        .collect();
    let views: Vec<DocLines> = docs
        .iter()
        .map(|l| DocLines {
            source: None,
            lines: l,
        })
        .collect();
    LearnedChrome::learn(
        &views,
        &LearnConfig {
            min_df: 4,
            min_source_df: 3,
            short_words: 3,
            max_block_share: 0.5,
        },
    )
}

#[test]
fn learned_lines_are_removed_and_labelled() {
    let text = "A story paragraph that is long enough.\nBrought to you by Acme Widgets Ltd";
    let s = stripper();
    let first = s.strip(text);
    let mut scratch = String::new();
    let mut keys = Vec::new();
    line_keys(text, &first, &mut scratch, &mut keys);
    // Pretend the corpus taught us the second line.
    let second = s.strip_learned(first, &keys, &chrome_of(keys[1]));
    assert_eq!(second.body(text), "A story paragraph that is long enough.");
    assert_eq!(second.removals()[0].rule, LEARNED);
}

#[test]
fn a_refusal_by_the_rules_stands_after_learning() {
    let text = REST_BLOCK_TOO_LONG;
    let s = Stripper::new(Rules::builtin(), 0.3);
    let first = s.strip(text);
    let refused = first.refused();
    assert!(refused.is_some());
    let mut scratch = String::new();
    let mut keys = Vec::new();
    line_keys(text, &first, &mut scratch, &mut keys);
    // The corpus taught us the last line: three words, certain chrome.
    let second = s.strip_learned(first, &keys, &chrome_of(keys[3]));
    assert_eq!(
        second.removals().last().map(|r| r.rule.as_str()),
        Some(LEARNED)
    );
    assert_eq!(second.kept().len(), 3);
    assert_eq!(second.refused(), refused);
}

proptest! {
    /// Lines are the trimmed, non-empty pieces of the text split after each line break.
    #[test]
    fn line_ranges_are_the_trimmed_pieces_between_breaks(
        text in "[a \n\r\t\u{a0}\u{2028}\u{e9}]{0,40}"
    ) {
        let mut offset = 0;
        let mut want = Vec::new();
        for raw in text.split_inclusive('\n') {
            let lead = raw.len() - raw.trim_start().len();
            if !raw.trim().is_empty() {
                want.push(offset + lead..offset + lead + raw.trim().len());
            }
            offset += raw.len();
        }
        prop_assert_eq!(line_ranges(&text).collect::<Vec<_>>(), want);
    }

    /// Stripping stripped text removes nothing more.
    #[test]
    fn stripping_is_idempotent(lines in proptest::collection::vec(prop_oneof![
        Just("Advertisement".to_string()),
        Just("READ ALSO: Something else entirely".to_string()),
        Just("Leave a Reply".to_string()),
        Just("Read next".to_string()),
        Just("Share".to_string()),
        Just("Copyright 2018 Reuters. All rights reserved.".to_string()),
        "[A-Za-z ,.]{0,80}",
        "[A-Z][a-z]+ [a-z ]{10,60}\\.",
    ], 0..12)) {
        let text = lines.join("\n");
        let s = stripper();
        let once = s.strip(&text).body(&text);
        let twice = s.strip(&once);
        prop_assert_eq!(twice.body(&once), once.clone());
        prop_assert!(twice.removals().is_empty() || twice.refused().is_some());
    }
}

/// Found by `tests/fuzz.rs` (strip, case 27): a `rest` block's removal spans its line breaks, and
/// counting them put the removed share of a page of nothing but chrome at 1.10.
#[test]
fn the_removed_share_of_a_block_spanning_lines_is_at_most_one() {
    let text = "\tComments\nRelated:\nRelated:\n? ? ?\n";
    let stripped = stripper().strip(text);
    assert!(stripped.kept().is_empty());
    assert_eq!(stripped.removed_share(), 1.0);
    let text = "Body text here about the council.\nRelated:\nx\n";
    let share = stripper().strip(text).removed_share();
    assert!((share - 9.0 / 42.0).abs() < 1e-9, "{share}");
}

/// Real Helsinki pages (2018): eighteen outlets' versions of AP's story on the indicted Russian
/// officers, all with its paragraph on extradition, and five pages of one site (triblive.com) with
/// its newsletter line. The AP paragraph is the story's, printed by many sources; the newsletter
/// line is one site's chrome.
#[test]
fn cross_source_prose_is_kept_and_a_sites_own_line_goes() {
    let corpus = crate::Corpus::from_documents(
        include_str!("../../fixtures/realnews/chrome-pages.jsonl")
            .lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).expect("fixture line");
                let mut doc = crate::Document::new(
                    v["id"].as_str().expect("id"),
                    v["text"].as_str().expect("text"),
                );
                doc.meta.insert("source".into(), v["source"].clone());
                doc
            }),
    );
    let deduper = crate::Deduper::new(crate::Config::default()).expect("default config");
    let (stripped, learned) = deduper.strip_corpus(&corpus, &crate::NoProgress);
    assert!(learned > 0, "the site's chrome is learned");
    let (mut wire, mut newsletter) = (0, 0);
    for (doc, stripped) in corpus.documents().iter().zip(&stripped) {
        for removal in stripped.removals() {
            let text = &doc.text[removal.range.clone()];
            assert!(
                !text.contains("has no extradition treaty with Moscow"),
                "{}: the AP paragraph was removed as {}",
                doc.id,
                removal.rule
            );
            newsletter += usize::from(text == "Sign up for one of our email newsletters.");
        }
        let body = stripped.body(&doc.text);
        wire += usize::from(body.contains("has no extradition treaty with Moscow"));
    }
    assert_eq!(wire, 18, "every outlet keeps the AP paragraph");
    assert_eq!(
        newsletter, 5,
        "every page of the site loses its newsletter line"
    );
}

#[test]
fn prose_lines_are_told_from_chrome_lines() {
    let prose = [
        "The United States has no extradition treaty with Moscow and can't compel Russia to hand over citizens, and a provision of the Russian constitution prohibits extradition.",
        "\"We're going to be meeting with President Putin tomorrow and I think we'll do fine,\" Trump said during a breakfast meeting.",
        "Beyond the fanfare, however, not everything looks rosy for Putin. That is unlikely to happen. Trump, who has been in Brussels, Belgium, and the United Kingdom this week, repeated his call for better relations with Russia several times and",
        // One stop, then a share button's label run on into the paragraph.
        "The harbour authority approved a new ferry terminal on Monday after a long debate among the councillors about its cost and the future of the old pier. Share this",
        // Extracted text that lost its stops is still a paragraph, if a long one.
        "the harbour authority approved a new ferry terminal on monday after a long debate among the councillors about its cost the noise for the neighbours and the future of the old pier which will be turned into a park with a playground and a small market hall that the town has wanted for years",
    ];
    let not_prose = [
        "Trump: summit with Putin off to a 'very, very good start' in Helsinki, officials say 'very good'",
        "Trump Heads to Helsinki | Putin Says He Is Ready | Live Updates From the Summit Today",
        "Read the full story at https://www.example.com/world/2018/07/15/trump-putin-summit-helsinki-meeting-news",
        "Trump And Putin Meet In Helsinki As World Leaders Watch The Summit Closely From Afar Today",
    ];
    for line in prose {
        assert!(is_prose(line), "{line}");
    }
    for line in not_prose {
        assert!(!is_prose(line), "{line}");
    }
}

/// [`reads_as_prose`] as it was written with `str::matches` and `str::contains`, before its
/// substrings were searched for with memchr: the two must agree on every line.
fn reads_as_prose_by_str(line: &str, words: usize) -> bool {
    // The sentence end was not rewritten: the oracle shares it.
    let ends_sentence = ends_sentence(line);
    let stops = line.matches(". ").take(2).count();
    let holds_sentences =
        stops == 2 || (stops == 1 && words >= PROSE_WORDS) || words >= 3 * PROSE_WORDS;
    if !(ends_sentence || holds_sentences)
        || line.contains("http")
        || line.contains("www.")
        || line.contains(" | ")
    {
        return false;
    }
    let capitalised = usize::from(line.starts_with(|c: char| c.is_ascii_uppercase()))
        + line
            .as_bytes()
            .windows(2)
            .filter(|w| w[0] == b' ' && w[1].is_ascii_uppercase())
            .count();
    words >= SENTENCE_WORDS && capitalised * 5 <= words * 3
}

proptest! {
    /// Prose is told by memchr's substring search as by `str`'s: stops before spaces (one, two,
    /// several, run together), web addresses and menu separators anywhere in the line.
    #[test]
    fn prose_is_read_as_by_str_search(
        parts in proptest::collection::vec(prop_oneof![
            Just("The".to_string()), Just("talks".to_string()), Just(". ".to_string()),
            Just(".".to_string()), Just(" ".to_string()), Just("http".to_string()),
            Just("www.".to_string()), Just(" | ".to_string()), Just("|".to_string()),
            Just("\u{201D}".to_string()), Just("!".to_string()), "[a-zA-Z .|]{0,12}",
        ], 0..40),
        words in 0usize..60,
    ) {
        let line = parts.concat();
        prop_assert_eq!(reads_as_prose(&line, words), reads_as_prose_by_str(&line, words), "{:?}", line);
    }
}

/// Capitals after spaces are counted in runs of 255 pairs of bytes: one straddling the end of a
/// run is counted once, in lines of a capital every three bytes (the most a line can hold), at
/// every shift, each line's count found by the word counts on either side of its threshold.
#[test]
fn capitals_are_counted_once_across_the_counts_runs() {
    for shift in 0..6 {
        for runs in [84, 85, 86, 100, 170, 171, 400] {
            let line = format!("{}{}.", "x".repeat(shift), " Ab".repeat(runs));
            for words in (runs * 5 / 3).saturating_sub(3)..=runs * 5 / 3 + 3 {
                assert_eq!(
                    reads_as_prose(&line, words),
                    reads_as_prose_by_str(&line, words),
                    "shift {shift}, {runs} capitals, {words} words"
                );
            }
        }
    }
}

/// Real pages (Helsinki, 2018): a gallery of AP captions (the captions are chrome by the rules,
/// the headline and dateline left are no article), beside an AP story and a Reuters earnings table
/// with no prose at all, which stay whole.
#[test]
fn a_page_left_without_article_text_is_stripped_whole_but_a_table_is_not() {
    let gallery = "Trump, Putin sit down a bit late for closely watched summit\nAssociated Press Monday, July 16, 2018\nCredit: The Associated Press\nRussia's new ambassador to Finland Pavel Kuznetsov, left, escorts Russian President Vladimir Putin as he disembarks the plane at Helsinki airport in Vantaa, Finland, Monday, July 16, 2018. Putin arrived for his summit with US President Donald Trump. (Roni Rekomaa/Lehtikuva via AP)\nU.S. President Donald Trump attends a working breakfast with Finnish President Sauli Niinisto in Helsinki, Finland, Monday, July 16, 2018 prior to his meeting with Russian President Vladimir Putin in the Finnish capital. (AP Photo/Pablo Martinez Monsivais)";
    let story = "Trump, Putin sit down a bit late for closely watched summit\nHELSINKI (AP) — President Donald Trump and Russia's Vladimir Putin sat down on Monday for their summit in Helsinki, an hour late.\nPutin's plane touched down in Helsinki 30 minutes later than planned.";
    let table = "Oper shr 42 cts vs 41 cts\nOper net 2,322,000 vs 1,785,000\nSales 72.3 mln vs 59.8 mln\nAvg shrs 5,527,000 vs 4,355,000";
    let strip = |text: &str| {
        let stripped = stripper().strip(text);
        let mut scratch = String::new();
        let mut keys = Vec::new();
        line_keys(text, &stripped, &mut scratch, &mut keys);
        let stripped = stripper().strip_learned(stripped, &keys, &LearnedChrome::default());
        stripped.body(text)
    };
    assert_eq!(strip(gallery), "");
    assert_eq!(strip(story), story);
    assert_eq!(strip(table), table);
}
