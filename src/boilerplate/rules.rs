//! Boilerplate rules: a readable data file (`rules.txt`, compiled into the binary) plus user files in
//! the same format, matched against every line with one [`RegexSet`].

use std::path::Path;
use std::sync::OnceLock;

use aho_corasick::automaton::Automaton;
use aho_corasick::{dfa, AhoCorasick, AhoCorasickKind, Anchored, MatchKind};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_syntax::hir::literal::Extractor;

use crate::error::RulesError;

/// What a rule removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The matching line.
    Line,
    /// The matching line and everything after it, if what follows is a list of short lines or at
    /// least a quarter of the document precedes it.
    Rest,
}

/// One boilerplate rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// What the rule removes.
    pub scope: Scope,
    /// `family/rule`, as shown in explanations; user rules are prefixed `user:`.
    pub name: String,
    /// The regular expression, matched case-insensitively against the trimmed line.
    pub pattern: String,
    /// Lines longer than this many bytes are never matched (`line<=N` in a rules file).
    pub max_line: Option<usize>,
}

/// A compiled list of rules.
#[derive(Debug, Clone)]
pub struct Rules {
    rules: Vec<Rule>,
    /// Rules anchored at the start of the line, one set per tier of their longest match, with
    /// their indices in `rules`: a line consults the tiers whose rules can match a line that long.
    /// On an article's paragraph their automaton dies within a few bytes.
    tiers: Vec<Tier>,
    /// Rules that match a phrase anywhere in a line, each compiled alone: in a set they would drag
    /// every line through a large automaton to its end.
    phrases: Vec<(usize, Regex)>,
    /// One scan for the leading literals of every phrase rule finds the few lines worth running
    /// any of them on.
    prefilter: Prefilter,
}

/// Aho-Corasick over the phrase rules' leading literals.
#[derive(Debug, Clone)]
struct Prefilter {
    literals: AhoCorasick,
    /// The literals' first [`SCAN_PREFIX`] bytes, stepped by [`Prefilter::may_match`] through
    /// several parts of a line at once.
    scanner: dfa::DFA,
    /// For each literal, the index into `phrases` of the rule it leads.
    owner: Vec<usize>,
    /// Phrase rules with no leading literal, run on every line.
    always: Vec<usize>,
}

impl Prefilter {
    fn new(patterns: &[&str]) -> Result<Prefilter, String> {
        let (mut literals, mut owner, mut always) = (Vec::new(), Vec::new(), Vec::new());
        for (p, pattern) in patterns.iter().enumerate() {
            let hir = regex_syntax::parse(pattern).map_err(|e| e.to_string())?;
            let seq = Extractor::new().extract(&hir);
            match seq.literals() {
                Some(lits) if !lits.is_empty() && lits.iter().all(|l| !l.as_bytes().is_empty()) => {
                    for lit in lits {
                        literals.push(lit.as_bytes().to_ascii_lowercase());
                        owner.push(p);
                    }
                }
                _ => always.push(p),
            }
        }
        let mut prefixes: Vec<&[u8]> = literals
            .iter()
            .map(|l| &l[..l.len().min(SCAN_PREFIX)])
            .collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        let scanner = dfa::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&prefixes)
            .map_err(|e| e.to_string())?;
        let literals = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .map_err(|e| e.to_string())?;
        Ok(Prefilter {
            literals,
            scanner,
            owner,
            always,
        })
    }

    /// Whether `line` holds one of the literals: [`AhoCorasick::is_match`], with a first search
    /// for their prefixes in [`LANES`] parts of the line at once.
    ///
    /// The automaton has no fast scanner for its 270 literals (they are many and matched in any
    /// case), so a search takes a table look-up per byte, each waiting on the one before: some 7%
    /// of a run's time, on every distinct line of a corpus. Parts of a line are independent
    /// searches, whose look-ups the processor overlaps. Part `k` holds the ends of the matches
    /// ending in the `k`th of `LANES` equal spans, and begins as many bytes before its span as the
    /// longest prefix has, less one: a match ending in the span begins in the part. Prefixes of
    /// at most [`SCAN_PREFIX`] bytes keep that overlap short (the longest literal has 50 bytes). A
    /// line holding a literal holds its prefix; the few lines holding a prefix are settled by the
    /// search for the literals themselves.
    fn may_match(&self, line: &[u8]) -> bool {
        let dfa = &self.scanner;
        let overlap = dfa.max_pattern_len().saturating_sub(1);
        let span = line.len() / LANES;
        let Ok(start) = dfa.start_state(Anchored::No) else {
            return self.literals.is_match(line);
        };
        // Short lines are searched in one piece: the parts would mostly overlap.
        if span < SCAN_PREFIX {
            return self.literals.is_match(line);
        }
        let parts: [(usize, usize); LANES] = std::array::from_fn(|k| {
            let end = if k + 1 == LANES {
                line.len()
            } else {
                (k + 1) * span
            };
            ((k * span).saturating_sub(overlap), end)
        });
        let steps = parts.iter().map(|&(s, e)| e - s).min().unwrap_or(0);
        // Four states in four variables, stepped in one loop: kept in registers, each step's
        // look-ups overlap (an array of states went through memory at every step).
        let [a, b, c, d] = parts.map(|(s, _)| &line[s..s + steps]);
        let (mut sa, mut sb, mut sc, mut sd) = (start, start, start, start);
        for i in 0..steps {
            sa = dfa.next_state(Anchored::No, sa, a[i]);
            sb = dfa.next_state(Anchored::No, sb, b[i]);
            sc = dfa.next_state(Anchored::No, sc, c[i]);
            sd = dfa.next_state(Anchored::No, sd, d[i]);
            // A prefix found (an unanchored search has no dead state): settled by the literals.
            if dfa.is_special(sa) | dfa.is_special(sb) | dfa.is_special(sc) | dfa.is_special(sd) {
                return self.literals.is_match(line);
            }
        }
        let mut states = [sa, sb, sc, sd];
        // The parts' last bytes, one part after the other.
        for (state, &(s, e)) in states.iter_mut().zip(&parts) {
            for &b in &line[s + steps..e] {
                *state = dfa.next_state(Anchored::No, *state, b);
                if dfa.is_special(*state) {
                    return self.literals.is_match(line);
                }
            }
        }
        false
    }

    /// The phrase rules (indices into `phrases`) that may match `line`, in no particular order and
    /// possibly repeated.
    fn candidates<'a>(&'a self, line: &'a str) -> impl Iterator<Item = usize> + 'a {
        // An overlapping search cannot use the fast literal scanner; a plain test can, and most
        // lines contain none of the literals.
        self.may_match(line.as_bytes())
            .then(|| self.literals.find_overlapping_iter(line))
            .into_iter()
            .flatten()
            .map(|m| self.owner[m.pattern().as_usize()])
            .chain(self.always.iter().copied())
    }
}

/// [`Prefilter::may_match`] looks first for the literals' first this many bytes (in the paragraphs
/// of scale-20k, 12 bytes are found in 5,700 where the whole literals are in 4,600; 8 bytes in
/// 35,000).
const SCAN_PREFIX: usize = 12;

/// The parts of a line [`Prefilter::may_match`] searches side by side.
const LANES: usize = 4;

#[derive(Debug, Clone)]
struct Tier {
    /// The longest line this tier's rules can match (and longer than the tier before's can):
    /// lines up to this many bytes consult it.
    max_line: usize,
    set: RegexSet,
    rules: Vec<usize>,
}

/// Line-length tiers. Most rules are anchored at both ends and bounded (`^…{0,80}$`), so a long
/// paragraph only needs the few rules that can match a line that long. Each rule is compiled once,
/// into the tier of its longest match (compiling the rules is most of a short run's start-up); a
/// short line consults every tier.
const TIERS: [usize; 3] = [256, 1024, usize::MAX];

const BUILTIN: &str = include_str!("rules.txt");

impl Rules {
    /// The text of the built-in rules file: the rules-file format explained in its opening
    /// comments, then every rule (`reprint rules` prints it).
    pub fn builtin_text() -> &'static str {
        BUILTIN
    }

    /// The built-in rules (compiled once per process; clones share the compiled set).
    pub fn builtin() -> Rules {
        static COMPILED: OnceLock<Rules> = OnceLock::new();
        COMPILED
            .get_or_init(|| {
                Rules::compile(parse(BUILTIN, "<built-in>", "").expect("built-in rules parse"))
                    .expect("built-in rules compile")
            })
            .clone()
    }

    /// No rules at all.
    pub fn none() -> Rules {
        Rules::compile(Vec::new()).expect("an empty set compiles")
    }

    /// These rules plus the rules of a user file (same format); user rules are named `user:…`.
    pub fn with_file(self, path: &Path) -> Result<Rules, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|error| RulesError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        self.with_text(&text, &path.display().to_string())
    }

    /// These rules plus rules given as text in the rules-file format; `origin` names it in errors.
    pub fn with_text(self, text: &str, origin: &str) -> Result<Rules, RulesError> {
        let mut rules = self.rules;
        rules.extend(parse(text, origin, "user:")?);
        Rules::compile(rules).map_err(|message| RulesError::Syntax {
            origin: origin.to_string(),
            line: 0,
            message,
        })
    }

    fn compile(rules: Vec<Rule>) -> Result<Rules, String> {
        let shapes: Vec<Shape> = rules
            .iter()
            .map(|r| {
                Shape::of(&dialect(&r.pattern)).map(|s| Shape {
                    longest: s.longest.min(r.max_line.unwrap_or(usize::MAX)),
                    ..s
                })
            })
            .collect::<Result<_, _>>()?;
        let phrases: Vec<(usize, Regex)> = (0..rules.len())
            .filter(|&i| !shapes[i].starts_line)
            .map(|i| {
                RegexBuilder::new(&dialect(&rules[i].pattern))
                    .case_insensitive(true)
                    .build()
                    .map(|re| (i, re))
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        let phrase_patterns: Vec<String> = phrases
            .iter()
            .map(|(i, _)| dialect(&rules[*i].pattern))
            .collect();
        let prefilter = Prefilter::new(
            &phrase_patterns
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )?;
        let mut tiers = Vec::new();
        let mut lower = 0;
        for max_line in TIERS {
            let members: Vec<usize> = (0..rules.len())
                .filter(|&i| {
                    shapes[i].starts_line && (lower + 1..=max_line).contains(&shapes[i].longest)
                })
                .collect();
            let set = RegexSetBuilder::new(members.iter().map(|&i| dialect(&rules[i].pattern)))
                .case_insensitive(true)
                .dfa_size_limit(64 << 20)
                .build()
                .map_err(|e| e.to_string())?;
            tiers.push(Tier {
                max_line,
                set,
                rules: members,
            });
            lower = max_line;
        }
        Ok(Rules {
            rules,
            tiers,
            phrases,
            prefilter,
        })
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule that matches a (trimmed) line, if any: a `rest` rule if one matches, else the first.
    pub fn matching(&self, line: &str) -> Option<&Rule> {
        self.matching_index(line).map(|i| &self.rules[i])
    }

    /// [`matching`](Self::matching), as an index into [`rules`](Self::rules).
    pub fn matching_index(&self, line: &str) -> Option<usize> {
        // The anchored rules that can match a line this long, in file order. Most lines match
        // nothing: a plain match test is much cheaper than finding every match.
        let mut anchored = Vec::new();
        for tier in self.tiers.iter().filter(|t| line.len() <= t.max_line) {
            if tier.set.is_match(line) {
                anchored.extend(tier.set.matches(line).into_iter().map(|i| tier.rules[i]));
            }
        }
        anchored.sort_unstable();
        let phrases = self
            .prefilter
            .candidates(line)
            .map(|p| &self.phrases[p])
            .filter(|(_, re)| re.is_match(line))
            .map(|(i, _)| *i);
        let fits = |i: &usize| self.rules[*i].max_line.is_none_or(|n| line.len() <= n);
        let mut first: Option<usize> = None;
        for i in anchored.into_iter().chain(phrases).filter(fits) {
            if self.rules[i].scope == Scope::Rest {
                return Some(i);
            }
            first = Some(first.map_or(i, |f| f.min(i)));
        }
        first
    }
}

/// An anchored rule with no bound of its own is meant for a line, not a paragraph.
const ANCHORED_LINE: usize = 512;

/// What a pattern's syntax says about the lines it can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    /// Anchored at the start of the line (`^`).
    starts_line: bool,
    /// The longest line it can match: its longest match (or [`ANCHORED_LINE`]) if it is anchored
    /// at both ends of the line, else unbounded.
    longest: usize,
}

impl Shape {
    fn of(pattern: &str) -> Result<Shape, String> {
        let hir = regex_syntax::ParserBuilder::new()
            .case_insensitive(true)
            .build()
            .parse(pattern)
            .map_err(|e| e.to_string())?;
        let props = hir.properties();
        let starts_line = props
            .look_set_prefix()
            .contains(regex_syntax::hir::Look::Start);
        let anchored = starts_line
            && props
                .look_set_suffix()
                .contains(regex_syntax::hir::Look::End);
        let longest = match (anchored, props.maximum_len()) {
            (true, Some(n)) => n,
            (true, None) => ANCHORED_LINE,
            (false, _) => usize::MAX,
        };
        Ok(Shape {
            starts_line,
            longest,
        })
    }
}

#[cfg(test)]
fn longest_line(pattern: &str) -> Result<usize, String> {
    Shape::of(pattern).map(|s| s.longest)
}

/// A white space run in a rule (`\s*`, `\s+`) matches at most this many characters: lines are
/// trimmed, runs inside them are short, and bounded rules let long lines skip them (see `TIERS`).
const WHITESPACE_RUN_0: &str = r"\s{0,8}";
const WHITESPACE_RUN_1: &str = r"\s{1,8}";

/// Rewrites a rule pattern into the regex dialect it is compiled in: `\b` is an ASCII word boundary,
/// which keeps every rule on the regex crate's fast DFA path (a Unicode word boundary forces a slow
/// fallback on any non-ASCII line, 20 times slower on news text); `\s*` and `\s+` match runs of at
/// most eight white space characters.
fn dialect(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('b') => out.push_str("(?-u:\\b)"),
                Some('s') if chars.clone().next() == Some('*') => {
                    chars.next();
                    out.push_str(WHITESPACE_RUN_0);
                }
                Some('s') if chars.clone().next() == Some('+') => {
                    chars.next();
                    out.push_str(WHITESPACE_RUN_1);
                }
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses rules text; every line is `SCOPE NAME PATTERN`, `#` starts a comment line.
fn parse(text: &str, origin: &str, prefix: &str) -> Result<Vec<Rule>, RulesError> {
    let mut rules = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let syntax = |message: String| RulesError::Syntax {
            origin: origin.to_string(),
            line: i + 1,
            message,
        };
        let mut fields = line.splitn(2, char::is_whitespace);
        let scope_field = fields.next().unwrap_or_default();
        let (scope_name, max_line) = match scope_field.split_once("<=") {
            Some((name, n)) => match n.parse::<usize>() {
                Ok(n) => (name, Some(n)),
                Err(_) => {
                    return Err(syntax(format!(
                        "`{scope_field}`: `<=` takes a number of bytes"
                    )))
                }
            },
            None => (scope_field, None),
        };
        let scope = match scope_name {
            "line" => Scope::Line,
            "rest" => Scope::Rest,
            other => {
                return Err(syntax(format!(
                    "unknown scope `{other}` (expected `line`, `rest`, or either with `<=N`)"
                )))
            }
        };
        let rest = fields.next().unwrap_or("").trim_start();
        let mut fields = rest.splitn(2, char::is_whitespace);
        let name = fields.next().filter(|n| !n.is_empty());
        let pattern = fields.next().map(str::trim).filter(|p| !p.is_empty());
        let (Some(name), Some(pattern)) = (name, pattern) else {
            return Err(syntax("expected `SCOPE NAME PATTERN`".into()));
        };
        // Parsing finds every syntax error, with its line, without compiling the pattern again.
        let parsed = regex_syntax::ParserBuilder::new()
            .case_insensitive(true)
            .build()
            .parse(&dialect(pattern));
        if let Err(e) = parsed {
            return Err(syntax(format!("pattern does not compile: {e}")));
        }
        rules.push(Rule {
            scope,
            name: format!("{prefix}{name}"),
            pattern: pattern.to_string(),
            max_line,
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_compile_and_have_unique_names() {
        let rules = Rules::builtin();
        assert!(rules.rules().len() > 40);
        let mut names: Vec<&str> = rules.rules().iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "duplicate rule names");
        // Every name is `family/rule`: a pattern run into its name would show up here.
        for name in names {
            let parts: Vec<&str> = name.split('/').collect();
            assert!(
                parts.len() == 2
                    && parts
                        .iter()
                        .all(|p| !p.is_empty()
                            && p.chars().all(|c| c.is_ascii_lowercase() || c == '-')),
                "malformed rule name {name:?}"
            );
        }
    }

    #[test]
    fn user_rules_are_added_and_named() {
        let rules = Rules::none()
            .with_text(
                "# partner footers\nline  partner  ^brought to you by .*$\n",
                "mine.txt",
            )
            .unwrap();
        assert_eq!(
            rules.matching("Brought to you by ACME").unwrap().name,
            "user:partner"
        );
        assert!(rules.matching("Nothing here").is_none());
    }

    #[test]
    fn bad_rule_files_name_file_and_line() {
        let cases = [
            ("line only-a-name\n", "mine.txt:1: expected"),
            ("\n\nsome x y\n", "mine.txt:3: unknown scope"),
            (
                "line bad (unclosed\n",
                "mine.txt:1: pattern does not compile",
            ),
        ];
        for (text, want) in cases {
            let err = Rules::none()
                .with_text(text, "mine.txt")
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(want), "{err}");
        }
    }

    #[test]
    fn word_boundaries_are_ascii_and_escapes_survive() {
        assert_eq!(dialect(r"^a\b\\b\d"), r"^a(?-u:\b)\\b\d");
        assert_eq!(dialect(r"^a\s*b\s+c\s$"), r"^a\s{0,8}b\s{1,8}c\s$");
        let rules = Rules::none().with_text(r"line x \bsource\b", "t").unwrap();
        assert!(rules.matching("Source: Ré").is_some());
        assert!(rules.matching("sources").is_none());
    }

    #[test]
    fn long_lines_only_meet_rules_that_can_match_them() {
        // Case folding admits multi-byte variants ("ſ" for "s"), so bounds exceed ASCII lengths.
        assert!((5..=15).contains(&longest_line("^share$").unwrap()));
        assert!((51..=120).contains(&longest_line("^read more: .{0,10}$").unwrap()));
        assert_eq!(longest_line("all rights reserved").unwrap(), usize::MAX);
        assert_eq!(longest_line("^by .*$").unwrap(), ANCHORED_LINE);
        assert_eq!(longest_line("^by .*").unwrap(), usize::MAX);
        let rules = Rules::builtin();
        let long = format!("{} All rights reserved.", "word ".repeat(300));
        assert_eq!(rules.matching(&long).unwrap().name, "copyright/reserved");
        assert!(rules.matching(&"word ".repeat(300)).is_none());
        assert!(rules.tiers[2].rules.len() < rules.tiers[0].rules.len() / 2);
        assert!(rules.phrases.len() < rules.rules().len() / 3);
        assert!(
            rules.prefilter.always.is_empty(),
            "every built-in phrase rule leads with a literal"
        );
        assert!(rules
            .phrases
            .iter()
            .all(|(i, _)| !rules.rules()[*i].pattern.starts_with('^')));
    }

    #[test]
    fn phrases_are_found_in_any_case() {
        let builtin = Rules::builtin();
        let line = "Story text. \u{a9} 2024 Some Paper. ALL RIGHTS RESERVED.";
        assert_eq!(builtin.matching(line).unwrap().name, "copyright/notice");
        assert!(builtin
            .matching("All the rights of man were discussed.")
            .is_none());
        // Many phrase rules, each with its own literal.
        let many: String = (0..80)
            .map(|i| format!("line many/p{i} \\bphrase{i:03}x\\b\n"))
            .collect();
        let rules = Rules::none().with_text(&many, "many.txt").unwrap();
        assert_eq!(
            rules
                .matching("Some text with PHRASE042X in it")
                .unwrap()
                .name,
            "user:many/p42"
        );
        assert!(rules.matching("Some text with phrase042 in it").is_none());
    }

    proptest::proptest! {
        /// The search in parts finds a literal wherever it stands in a line, across the parts'
        /// bounds too: it answers as the plain search does.
        #[test]
        fn the_prefilter_in_parts_answers_as_the_plain_search(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "the ", "minister ", "said ", "all rights ", "All Rights Reserved", "\u{a9} 2024",
                    "(AP Photo/", "getty", "Getty Images", "contributed to this report", "aggrega",
                    "news aggregator that publishes", "COMMENT POLICY", "reuters/x", "caf\u{e9} ",
                    "may not be published, broadcast", "for educational purposes only", ". ", "a",
                ]),
                0..80,
            ),
        ) {
            let rules = Rules::builtin();
            let line = pieces.concat();
            proptest::prop_assert_eq!(
                rules.prefilter.may_match(line.as_bytes()),
                rules.prefilter.literals.is_match(&line),
                "{:?}", line
            );
        }
    }

    #[test]
    fn the_prefilter_in_parts_finds_a_literal_at_every_offset() {
        let rules = Rules::builtin();
        for len in [48, 60, 200, 333] {
            for at in 0..len {
                let mut line = "x".repeat(len);
                line.insert_str(at, "All rights reserved");
                assert!(rules.prefilter.may_match(line.as_bytes()), "{len} {at}");
                line = line.replace("All rights reserved", "All rights deserved");
                assert!(!rules.prefilter.may_match(line.as_bytes()), "{len} {at}");
            }
        }
    }

    #[test]
    fn rest_rules_win_over_line_rules() {
        let rules = Rules::none()
            .with_text("line a ^related\nrest b ^related$\n", "t")
            .unwrap();
        let capped = Rules::none()
            .with_text("line<=20 credit getty images\n", "t")
            .unwrap();
        assert!(capped.matching("Photo: Getty Images").is_some());
        assert!(capped
            .matching("A long caption of a protest in Helsinki. Getty Images")
            .is_none());
        assert!(Rules::none().with_text("line<=x a b\n", "t").is_err());
        assert_eq!(rules.matching("Related").unwrap().scope, Scope::Rest);
        assert_eq!(rules.matching("Related: x").unwrap().scope, Scope::Line);
    }
}
