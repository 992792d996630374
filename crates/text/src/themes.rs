//! Themes: what a comment talks about. A taxonomy of themes (two levels:
//! a theme may have a parent) with matching rules: words (matched by their
//! English stem, so "charged" finds "charge"), phrases (word sequences),
//! and exclusions that veto a match. The taxonomy is data the organisation
//! edits; cxloop ships a default one for customer experience.

use crate::lexicon::FastMap;
use crate::sentiment::stem;
use crate::tokenize::{Token, tokenize};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Stable identifier: lowercase letters, digits and dashes.
    pub key: String,
    pub name: String,
    /// The key of the parent theme, if this is a sub-theme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Single words; any inflection matches ("bill" finds "billed").
    #[serde(default)]
    pub words: Vec<String>,
    /// Word sequences that must appear together ("response time").
    #[serde(default)]
    pub phrases: Vec<String>,
    /// Words or phrases that veto this theme in a comment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Taxonomy {
    pub themes: Vec<Theme>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxonomyError {
    /// Which field is wrong, as `themes[3].parent`.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for TaxonomyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for TaxonomyError {}

fn err(field: String, message: impl Into<String>) -> TaxonomyError {
    TaxonomyError { field, message: message.into() }
}

fn rule_words(rule: &str) -> Vec<String> {
    tokenize(rule)
        .into_iter()
        .filter_map(|t| match t {
            Token::Word { text, .. } => Some(stem(&text)),
            _ => None,
        })
        .collect()
}

impl Taxonomy {
    /// Checks keys, names, parents (which must exist and be top-level) and rules.
    pub fn validate(&self) -> Result<(), TaxonomyError> {
        if self.themes.len() > 500 {
            return Err(err("themes".into(), "at most 500 themes"));
        }
        let mut keys = std::collections::HashSet::new();
        for (i, t) in self.themes.iter().enumerate() {
            let f = |name: &str| format!("themes[{i}].{name}");
            let ok = !t.key.is_empty()
                && t.key.len() <= 60
                && t.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(err(f("key"), format!("key {:?} must be 1–60 characters of a-z, 0-9 and -", t.key)));
            }
            if !keys.insert(t.key.as_str()) {
                return Err(err(f("key"), format!("key {:?} is used twice", t.key)));
            }
            if t.name.trim().is_empty() || t.name.chars().count() > 100 {
                return Err(err(f("name"), "name must be 1–100 characters"));
            }
            if t.words.iter().chain(&t.phrases).all(|r| rule_words(r).is_empty()) {
                return Err(err(f("words"), "a theme needs at least one word or phrase to match"));
            }
        }
        for (i, t) in self.themes.iter().enumerate() {
            if let Some(p) = &t.parent {
                let Some(parent) = self.themes.iter().find(|x| &x.key == p) else {
                    return Err(err(format!("themes[{i}].parent"), format!("there is no theme {p:?}")));
                };
                if parent.parent.is_some() || p == &t.key {
                    return Err(err(
                        format!("themes[{i}].parent"),
                        "themes have two levels: a parent must be top-level",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Builds the fast matcher.
    pub fn compile(&self) -> Matcher {
        let mut words: FastMap<String, Vec<u16>> = FastMap::default();
        let mut phrases = Vec::new();
        let mut exclusions = Vec::new();
        for (i, t) in self.themes.iter().enumerate() {
            let i = i as u16;
            for w in t.words.iter().chain(&t.phrases) {
                let seq = rule_words(w);
                match seq.len() {
                    0 => {}
                    1 => words.entry(seq[0].clone()).or_default().push(i),
                    _ => phrases.push((seq, i)),
                }
            }
            for x in &t.exclude {
                let seq = rule_words(x);
                if !seq.is_empty() {
                    exclusions.push((seq, i));
                }
            }
        }
        let parents = self
            .themes
            .iter()
            .map(|t| t.parent.as_ref().and_then(|p| self.themes.iter().position(|x| &x.key == p)).map(|p| p as u16))
            .collect();
        Matcher { words, phrases, exclusions, parents, n: self.themes.len() }
    }

    /// The default customer-experience taxonomy cxloop ships with.
    pub fn default_cx() -> Taxonomy {
        let t = |key: &str, name: &str, parent: Option<&str>, words: &str, phrases: &[&str]| Theme {
            key: key.into(),
            name: name.into(),
            parent: parent.map(Into::into),
            words: words.split_whitespace().map(Into::into).collect(),
            phrases: phrases.iter().map(|p| p.to_string()).collect(),
            exclude: Vec::new(),
        };
        Taxonomy {
            themes: vec![
                t("price-billing", "Price and billing", None, "price pricing", &["value for money"]),
                t(
                    "pricing",
                    "Pricing",
                    Some("price-billing"),
                    "price pricing expensive overpriced pricey cheap cheaper affordable cost costs costly plan plans",
                    &["value for money", "too much"],
                ),
                t(
                    "billing",
                    "Billing and invoices",
                    Some("price-billing"),
                    "invoice invoices billing billed bill charge charged charges refund refunds payment payments subscription renewal currency",
                    &["credit card"],
                ),
                t("support", "Support and staff", None, "support", &["customer service"]),
                t(
                    "responsiveness",
                    "Responsiveness",
                    Some("support"),
                    "reply replied respond responded response ticket tickets",
                    &["got back", "get back", "response time", "answered within", "follow up", "followed up"],
                ),
                t(
                    "staff-attitude",
                    "Staff attitude",
                    Some("support"),
                    "friendly rude polite patient patiently attitude agent agents staff helpful unhelpful courteous dismissive",
                    &[],
                ),
                t(
                    "resolution",
                    "Resolution",
                    Some("support"),
                    "solved resolved resolve fix fixed workaround escalated escalate",
                    &["explain my issue", "closed my ticket"],
                ),
                t(
                    "speed",
                    "Speed and waiting",
                    None,
                    "slow fast quick quickly speed wait waiting waited delay delayed lag laggy sluggish load loading hang hangs ages",
                    &["takes ages", "took ages"],
                ),
                t(
                    "product-quality",
                    "Product quality",
                    None,
                    "quality feature features functionality editor reports reporting release releases",
                    &["does what it promises", "well thought"],
                ),
                t(
                    "reliability",
                    "Reliability and bugs",
                    None,
                    "bug bugs buggy crash crashes crashed error errors outage outages glitch glitches reliable unreliable stable unstable sync broke broken downtime",
                    &["went down", "lost data", "failed silently"],
                ),
                t(
                    "usability",
                    "Usability",
                    None,
                    "easy intuitive confusing interface ui ux design clicks click menu menus navigate navigation clunky cumbersome settings",
                    &["easy to use", "hard to use", "mobile app"],
                ),
                t(
                    "onboarding",
                    "Onboarding",
                    None,
                    "onboarding setup started import importing integration integrations training docs documentation checklist checklists",
                    &["set up", "getting started", "get started"],
                ),
                t(
                    "delivery",
                    "Delivery",
                    None,
                    "delivery deliveries shipping shipped courier parcel package",
                    &["arrived late", "never arrived", "arrived damaged"],
                ),
                t(
                    "communication",
                    "Communication",
                    None,
                    "email emails newsletter notification notifications informed announcement communication",
                    &["kept me informed", "nobody told", "no one told"],
                ),
            ],
        }
    }
}

/// A compiled taxonomy: one lookup per word, then phrase checks.
#[derive(Debug, Clone)]
pub struct Matcher {
    words: FastMap<String, Vec<u16>>,
    phrases: Vec<(Vec<String>, u16)>,
    exclusions: Vec<(Vec<String>, u16)>,
    parents: Vec<Option<u16>>,
    n: usize,
}

fn contains_seq(hay: &[String], needle: &[String]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle)
}

impl Matcher {
    /// Indexes (into the taxonomy's themes) of the themes a text mentions,
    /// parents included, in taxonomy order.
    pub fn tag(&self, text: &str) -> Vec<usize> {
        let stems: Vec<String> = tokenize(text)
            .into_iter()
            .filter_map(|t| match t {
                Token::Word { text, .. } => Some(stem(&text)),
                _ => None,
            })
            .collect();
        self.tag_stems(&stems)
    }

    /// Like [`Matcher::tag`], for words already stemmed.
    pub fn tag_stems(&self, stems: &[String]) -> Vec<usize> {
        let mut hit = vec![false; self.n];
        for s in stems {
            if let Some(ts) = self.words.get(s) {
                for &t in ts {
                    hit[usize::from(t)] = true;
                }
            }
        }
        for (seq, t) in &self.phrases {
            if !hit[usize::from(*t)] && contains_seq(stems, seq) {
                hit[usize::from(*t)] = true;
            }
        }
        for (seq, t) in &self.exclusions {
            if hit[usize::from(*t)] && contains_seq(stems, seq) {
                hit[usize::from(*t)] = false;
            }
        }
        for i in 0..self.n {
            if hit[i]
                && let Some(p) = self.parents[i]
            {
                hit[usize::from(p)] = true;
            }
        }
        (0..self.n).filter(|&i| hit[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(tax: &Taxonomy, text: &str) -> Vec<String> {
        tax.compile().tag(text).into_iter().map(|i| tax.themes[i].key.clone()).collect()
    }

    #[test]
    fn the_default_taxonomy_is_valid_and_tags_feedback() {
        let tax = Taxonomy::default_cx();
        tax.validate().unwrap();
        assert_eq!(names(&tax, "We were charged twice for the renewal."), vec!["price-billing", "billing"]);
        assert_eq!(
            names(&tax, "Nobody got back to me, the agent was rude"),
            vec!["support", "responsiveness", "staff-attitude"]
        );
        assert_eq!(names(&tax, "The dashboard takes ages to load"), vec!["speed"]);
        assert!(names(&tax, "Setting it up was easy to use").contains(&"usability".to_string()));
        assert!(names(&tax, "I like turtles").is_empty());
    }

    #[test]
    fn words_match_any_inflection_and_phrases_need_their_order() {
        let tax = Taxonomy {
            themes: vec![Theme {
                key: "wait".into(),
                name: "Waiting".into(),
                parent: None,
                words: vec!["wait".into()],
                phrases: vec!["response time".into()],
                exclude: vec!["wait list".into()],
            }],
        };
        assert_eq!(names(&tax, "We waited for hours"), vec!["wait"]);
        assert_eq!(names(&tax, "Their response time is great"), vec!["wait"]);
        assert!(names(&tax, "time of response").is_empty());
        assert!(names(&tax, "I am on the wait list").is_empty(), "the exclusion vetoes");
    }

    #[test]
    fn bad_taxonomies_name_the_field() {
        let mut tax = Taxonomy::default_cx();
        tax.themes[1].parent = Some("nope".into());
        assert_eq!(tax.validate().unwrap_err().field, "themes[1].parent");
        let mut tax = Taxonomy::default_cx();
        tax.themes[0].parent = Some("billing".into());
        assert!(tax.validate().is_err(), "three levels are refused");
        let mut tax = Taxonomy::default_cx();
        tax.themes[2].key = "pricing".into();
        assert_eq!(tax.validate().unwrap_err().field, "themes[2].key");
        let mut tax = Taxonomy::default_cx();
        tax.themes[3].words.clear();
        tax.themes[3].phrases.clear();
        assert_eq!(tax.validate().unwrap_err().field, "themes[3].words");
    }
}
