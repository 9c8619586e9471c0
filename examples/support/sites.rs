//! The reprinting sites both corpus generators wrap articles in (`synth_corpus`, `scale_corpus`),
//! their chrome, and the typo a light edit makes.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Sites that reprint (and wrap articles in their chrome).
pub const SITES: [&str; 40] = [
    "Daily Planet",
    "Metro Wire",
    "NewsBreak Hub",
    "The Courier",
    "Evening Post",
    "World Digest",
    "Global Times Online",
    "Capital Report",
    "Northern Echo Online",
    "Harbor Herald",
    "Pacific Ledger",
    "Valley News Network",
    "City Chronicle",
    "Morning Dispatch",
    "Coastal Observer",
    "Prairie Gazette",
    "The Sentinel",
    "Riverside Times",
    "Summit Daily",
    "Independent Record",
    "Metro Today",
    "Channel Nine News",
    "The Examiner",
    "National Tribune",
    "Lakeside Journal",
    "Desert Sun Online",
    "Eastern Standard",
    "The Beacon",
    "Union Leader Web",
    "Frontier Post",
    "Bay Area Wire",
    "Heartland Press",
    "Island Voice",
    "Midland Mirror",
    "Canyon Courier",
    "Highland Herald",
    "Delta Daily",
    "Granite State Gazette",
    "Twin Cities Now",
    "Gulf Coast Register",
];

/// A site's header lines.
pub fn header(site: &str, rng: &mut ChaCha8Rng) -> Vec<String> {
    let mut lines = vec![format!("{site} | Home | World | Business | Sport")];
    if rng.random_bool(0.5) {
        lines.push("Advertisement".into());
    }
    if rng.random_bool(0.6) {
        lines.push(format!("By {site} staff"));
    }
    lines.push(format!("Updated {} hours ago", rng.random_range(1..23)));
    lines
}

/// A site's footer lines, with links to `related` stories.
pub fn footer(site: &str, related: &[&str], rng: &mut ChaCha8Rng) -> Vec<String> {
    let mut lines = vec!["Share this article".into()];
    if rng.random_bool(0.7) {
        lines.push("Related stories".into());
        lines.extend(related.iter().map(|t| t.to_string()));
    }
    lines.push(format!(
        "Sign up for the {site} newsletter and get the day's top stories in your inbox."
    ));
    lines.push(format!("Copyright 2024 {site}. All rights reserved."));
    lines
}

/// A word with two neighbouring letters swapped (words under four letters are left alone).
pub fn typo(word: &str, rng: &mut ChaCha8Rng) -> String {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 4 {
        return word.to_string();
    }
    let i = rng.random_range(1..chars.len() - 1);
    let mut out = chars;
    out.swap(i, i - 1);
    out.into_iter().collect()
}
