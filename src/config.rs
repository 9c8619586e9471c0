//! The one documented configuration of a run, with its defaults and validation.
//!
//! Every default is chosen so that `reprint dedupe` works without flags on news corpora; DESIGN.md
//! explains each choice and the measurements behind it.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::shingle::MAX_SHINGLE;

/// Settings for a deduplication run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Words per shingle for the near-duplicate channel. Default 3: word 3-grams keep most of their
    /// overlap under light edits and typos while different articles share almost none.
    pub shingle_size: usize,
    /// MinHash positions per signature. Default 128: a Jaccard standard error of at most 0.044, and
    /// enough positions for a steep LSH S-curve, at 512 bytes per document and channel.
    pub num_perm: usize,
    /// The Jaccard similarity around which LSH makes two documents candidates (near-duplicate
    /// channel). Default 0.3, low enough to catch excerpts and lightly edited copies; candidates are
    /// verified exactly afterwards, so a low threshold costs time, not precision.
    pub candidate_threshold: f64,
    /// Verified shingle Jaccard at or above which a pair is a near-duplicate. Default 0.5.
    pub near_duplicate: f64,
    /// Verified containment (share of the shorter document's shingles found in the longer one) at or
    /// above which a pair is an excerpt. Default 0.8.
    pub excerpt_containment: f64,
    /// Content-word Jaccard at which a pair is aligned sentence by sentence, to look for a reworded
    /// copy. Default 0.3: spun and garbled copies in the dev corpus keep 0.59 and more, a short
    /// article spun at nearly every word still 0.33, while long articles on one event share much
    /// vocabulary but a lower Jaccard.
    pub align_content: f64,
    /// Share of *both* texts covered by aligned sentences for a copy found by alignment (a spun or
    /// rewritten copy). Default 0.6.
    pub align_coverage: f64,
    /// Share of words swapped one-for-one in aligned sentences from which a verbatim-similar pair is
    /// called spun rather than near-duplicate. Default 0.02: typos are not swaps, and light edits
    /// insert or delete rather than swap.
    pub spun_substitution: f64,
    /// Share of numbers and names that must agree for a copy found by alignment, and for any copy
    /// short of near-identical (shingle Jaccard below 0.9). Default 0.5.
    pub align_immutables: f64,
    /// Most words of aligned sentences that a copy found by alignment may change (substituted,
    /// inserted, deleted or moved). Default 0.4: spinners and round-trip translation change up to about a quarter; a
    /// separately written article on the same event rewrites half or more.
    pub align_max_edits: f64,
    /// Share of the shorter text covered by aligned sentences for a `version` (another edition of
    /// the story, each side with material of its own). Default 0.5.
    pub version_shorter: f64,
    /// Share of the longer text covered for a `version`. Default 0.15: an expanded edition may
    /// triple a brief, but a live file of twenty stories is not an edition of one of them.
    pub version_longer: f64,
    /// Words of shared passage (consecutive closely aligned sentences in order) for a `version`.
    /// Default 60.
    pub version_passage_words: usize,
    /// Words of shared passage for a `partial` pair (different articles sharing several
    /// paragraphs). Default 80.
    pub partial_passage_words: usize,
    /// The Jaccard similarity of content-word sets around which the rewording-robust channel makes
    /// documents candidates. Default 0.3, with the same reasoning as `align_content`.
    pub content_threshold: f64,
    /// One in this many shingles is an anchor for containment candidates (excerpts). Default 4: a
    /// one-sentence excerpt still has about five anchors.
    pub anchor_sampling: u64,
    /// Documents sharing at least this many anchors (or half the anchors of the one with fewer) are
    /// containment candidates. Default 2.
    pub min_shared_anchors: usize,
    /// Share of the smaller document's anchors two documents must share to be containment candidates:
    /// an estimate of containment, which an excerpt has near 1. Default 0.5.
    pub anchor_containment: f64,
    /// Documents sharing at least this many anchors are containment candidates whatever share of
    /// either they make: two different articles sharing several paragraphs (a digest holding the
    /// first five of a story, a live file holding a brief) contain little of each other, and
    /// verification looks for the shared passage. Default 24, about a hundred shared word 3-grams.
    pub passage_anchors: usize,
    /// Anchors found in more documents than this are ignored (common phrases). Default 100.
    pub anchor_max_df: usize,
    /// Documents with fewer words than this (after boilerplate stripping) can only match exactly.
    /// Default 8: a handful of words carries no evidence of copying.
    pub min_words: usize,
    /// LSH buckets larger than this are chained instead of fully paired. Default 2,000.
    pub max_bucket: usize,
    /// Seed for every hash. Fixed by default so runs are reproducible.
    pub seed: u64,
    /// Boilerplate stripping.
    pub boilerplate: BoilerplateConfig,
}

/// Settings for boilerplate stripping (built-in and user rules, and chrome learned from the corpus).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BoilerplateConfig {
    /// Apply the built-in rules. Default on.
    pub builtin_rules: bool,
    /// Learn chrome from the corpus (lines recurring across otherwise different documents).
    /// Default on.
    pub learn: bool,
    /// Never remove more than this share of a document's text; a document that would lose more is
    /// left unstripped (or keeps only its rule-based removals) and reported. Default 0.8.
    pub max_share: f64,
    /// A line must recur in at least this many documents to be learned as chrome. Default 4.
    pub min_df: usize,
    /// …or in at least this many documents of one `source`. Default 3.
    pub min_source_df: usize,
    /// Learned lines of at most this many words are certain chrome; longer ones may be withdrawn by
    /// the `max_share` guard. Default 8.
    pub short_words: usize,
    /// Recurring lines are chrome when what recurs with them is at most this share of the documents
    /// they appear in (a reprinted story is most of each copy). Default 0.5.
    pub max_block_share: f64,
}

impl Default for BoilerplateConfig {
    fn default() -> Self {
        BoilerplateConfig {
            builtin_rules: true,
            learn: true,
            max_share: 0.8,
            min_df: 4,
            min_source_df: 3,
            short_words: 8,
            max_block_share: 0.5,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            shingle_size: 3,
            num_perm: 128,
            candidate_threshold: 0.3,
            near_duplicate: 0.5,
            excerpt_containment: 0.8,
            align_content: 0.3,
            align_coverage: 0.6,
            spun_substitution: 0.02,
            align_immutables: 0.5,
            align_max_edits: 0.4,
            version_shorter: 0.5,
            version_longer: 0.15,
            version_passage_words: 60,
            partial_passage_words: 80,
            content_threshold: 0.3,
            anchor_sampling: 4,
            min_shared_anchors: 2,
            anchor_containment: 0.5,
            passage_anchors: 24,
            anchor_max_df: 100,
            min_words: 8,
            max_bucket: 2_000,
            seed: 0x7265_7072_696e_7431,
            boilerplate: BoilerplateConfig::default(),
        }
    }
}

impl Config {
    /// Checks every setting, naming the first invalid one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=MAX_SHINGLE).contains(&self.shingle_size) {
            return Err(ConfigError::new(
                "shingle_size",
                format!(
                    "must be between 1 and {MAX_SHINGLE}, got {}",
                    self.shingle_size
                ),
            ));
        }
        if !(16..=1024).contains(&self.num_perm) {
            return Err(ConfigError::new(
                "num_perm",
                format!("must be between 16 and 1024, got {}", self.num_perm),
            ));
        }
        for (field, value) in [
            ("candidate_threshold", self.candidate_threshold),
            ("near_duplicate", self.near_duplicate),
            ("excerpt_containment", self.excerpt_containment),
            ("align_content", self.align_content),
            ("align_coverage", self.align_coverage),
            ("spun_substitution", self.spun_substitution),
            ("align_immutables", self.align_immutables),
            ("align_max_edits", self.align_max_edits),
            ("version_shorter", self.version_shorter),
            ("version_longer", self.version_longer),
            ("content_threshold", self.content_threshold),
            ("anchor_containment", self.anchor_containment),
            ("boilerplate.max_share", self.boilerplate.max_share),
            (
                "boilerplate.max_block_share",
                self.boilerplate.max_block_share,
            ),
        ] {
            if !(value > 0.0 && value <= 1.0) {
                return Err(ConfigError::new(
                    field,
                    format!("must be in (0, 1], got {value}"),
                ));
            }
        }
        if self.boilerplate.min_df < 2 || self.boilerplate.min_source_df < 2 {
            return Err(ConfigError::new(
                "boilerplate.min_df",
                "a line must recur in at least 2 documents to be learned",
            ));
        }
        if self.anchor_sampling == 0
            || self.min_shared_anchors == 0
            || self.passage_anchors == 0
            || self.anchor_max_df < 2
        {
            return Err(ConfigError::new(
                "anchor_sampling",
                "anchor_sampling, min_shared_anchors and passage_anchors must be at least 1, anchor_max_df at least 2",
            ));
        }
        if self.max_bucket < 2 {
            return Err(ConfigError::new("max_bucket", "must be at least 2"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn invalid_settings_are_named() {
        type Mutation = fn(&mut Config);
        let cases: [(Mutation, &str); 5] = [
            (|c| c.shingle_size = 0, "shingle_size"),
            (|c| c.num_perm = 4, "num_perm"),
            (|c| c.candidate_threshold = 0.0, "candidate_threshold"),
            (|c| c.near_duplicate = f64::NAN, "near_duplicate"),
            (|c| c.max_bucket = 1, "max_bucket"),
        ];
        for (mutate, field) in cases {
            let mut config = Config::default();
            mutate(&mut config);
            assert_eq!(config.validate().unwrap_err().field, field);
        }
    }

    #[test]
    fn config_round_trips_through_json_and_rejects_unknown_fields() {
        let json = serde_json::to_string(&Config::default()).unwrap();
        let back: Config = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Config::default());
        assert!(serde_json::from_str::<Config>("{\"shingle_sise\": 3}").is_err());
    }
}
