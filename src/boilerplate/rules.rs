//! Boilerplate rules: a readable data file (`rules.txt`, compiled into the binary) plus user files in
//! the same format, matched against every line with one [`RegexSet`].

use std::path::Path;
use std::sync::OnceLock;

use regex::{RegexSet, RegexSetBuilder};

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
}

/// A compiled list of rules.
#[derive(Debug, Clone)]
pub struct Rules {
    rules: Vec<Rule>,
    set: RegexSet,
}

const BUILTIN: &str = include_str!("rules.txt");

impl Rules {
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
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Io {
            path: path.to_path_buf(),
            source,
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
        let set = RegexSetBuilder::new(rules.iter().map(|r| dialect(&r.pattern)))
            .case_insensitive(true)
            .dfa_size_limit(64 << 20)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Rules { rules, set })
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule that matches a (trimmed) line, if any: a `rest` rule if one matches, else the first.
    pub fn matching(&self, line: &str) -> Option<&Rule> {
        let matches = self.set.matches(line);
        if !matches.matched_any() {
            return None;
        }
        let mut first = None;
        for i in matches.iter() {
            let rule = &self.rules[i];
            if rule.scope == Scope::Rest {
                return Some(rule);
            }
            first.get_or_insert(rule);
        }
        first
    }
}

/// Rewrites a rule pattern into the regex dialect it is compiled in: `\b` is an ASCII word boundary,
/// which keeps every rule on the regex crate's fast DFA path (a Unicode word boundary forces a slow
/// fallback on any non-ASCII line, 20 times slower on news text).
fn dialect(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('b') => out.push_str("(?-u:\\b)"),
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
        let scope = match fields.next() {
            Some("line") => Scope::Line,
            Some("rest") => Scope::Rest,
            Some(other) => {
                return Err(syntax(format!(
                    "unknown scope `{other}` (expected `line` or `rest`)"
                )))
            }
            None => unreachable!("a non-empty line has a first field"),
        };
        let rest = fields.next().unwrap_or("").trim_start();
        let mut fields = rest.splitn(2, char::is_whitespace);
        let name = fields.next().filter(|n| !n.is_empty());
        let pattern = fields.next().map(str::trim).filter(|p| !p.is_empty());
        let (Some(name), Some(pattern)) = (name, pattern) else {
            return Err(syntax("expected `SCOPE NAME PATTERN`".into()));
        };
        if let Err(e) = regex::Regex::new(&dialect(pattern)) {
            return Err(syntax(format!("pattern does not compile: {e}")));
        }
        rules.push(Rule {
            scope,
            name: format!("{prefix}{name}"),
            pattern: pattern.to_string(),
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
        let rules = Rules::none().with_text(r"line x \bsource\b", "t").unwrap();
        assert!(rules.matching("Source: Ré").is_some());
        assert!(rules.matching("sources").is_none());
    }

    #[test]
    fn rest_rules_win_over_line_rules() {
        let rules = Rules::none()
            .with_text("line a ^related\nrest b ^related$\n", "t")
            .unwrap();
        assert_eq!(rules.matching("Related").unwrap().scope, Scope::Rest);
        assert_eq!(rules.matching("Related: x").unwrap().scope, Scope::Line);
    }
}
