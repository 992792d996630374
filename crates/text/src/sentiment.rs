//! Explainable sentiment. A text is tokenized; rules walk each clause
//! (negation flips, intensifiers and softeners scale, a contrast such as
//! "but" shifts weight to what follows, ALL CAPS and "!!!" add emphasis,
//! emoticons and emoji count) to score the lexicon words; a logistic model
//! then combines that lexicon score with learned word and word-pair
//! weights. The result is a score in [−1, 1], a label, and the reasons: the
//! words that pushed it and the rules that fired.

use crate::lexicon;
use crate::model::Model;
use crate::tokenize::{Token, tokenize};
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Positive,
    Neutral,
    Negative,
    /// Not English: not scored.
    NotAnalysed,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Positive => "positive",
            Label::Neutral => "neutral",
            Label::Negative => "negative",
            Label::NotAnalysed => "not_analysed",
        }
    }
}

/// Why a text scored as it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// A word (or word pair) and how much it moved the score (signed).
    Word {
        word: String,
        weight: f32,
    },
    Negation {
        negator: String,
        word: String,
    },
    Intensifier {
        modifier: String,
        word: String,
    },
    Contrast {
        word: String,
    },
    Caps {
        word: String,
    },
    Exclamation {
        count: usize,
    },
    Emote {
        emote: String,
        weight: f32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sentiment {
    /// From −1 (very negative) to 1 (very positive); 0 when not analysed.
    pub score: f32,
    pub label: Label,
    pub language: &'static str,
    pub reasons: Vec<Reason>,
}

/// Scores at or beyond these are positive / negative; between is neutral.
pub const NEUTRAL_BAND: f32 = 0.25;

/// The weight of learned word and word-pair evidence against the lexicon
/// score (which keeps its full learned weight).
pub const LEARNED_WORD_SHARE: f32 = 0.5;

/// How far a text with no opinion word, emoticon or emoji may move from 0.
/// Its score rests only on learned word associations (from review
/// sentences), which say little about a plain statement of fact: a strong
/// association can still make it positive or negative, a weak one cannot.
pub const WITHOUT_OPINION_WORDS: f32 = 0.35;

/// What the rules extract from one text: model features and the reasons.
pub struct Extracted {
    pub features: Vec<(String, f32)>,
    pub lexicon_score: f32,
    pub reasons: Vec<Reason>,
    /// For each feature (same index), the words it came from: `(first, last)`
    /// into `words`, and whether it was negated; shown to people on demand.
    origins: Vec<(usize, usize, bool)>,
    words: Vec<String>,
    /// The stem of every word, in order (themes match on these).
    pub stems: Vec<String>,
}

impl Extracted {
    /// The words behind feature `i`, as a person would read them.
    pub fn shown(&self, i: usize) -> String {
        match self.origins.get(i) {
            Some(&(a, b, negated)) => {
                let text = self.words[a..=b].join(" ");
                if negated && a == b { format!("not {text}") } else { text }
            }
            None => String::new(),
        }
    }
}

fn stemmer() -> &'static Stemmer {
    static S: std::sync::OnceLock<Stemmer> = std::sync::OnceLock::new();
    S.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// The English stem of a word, memoised per thread (feedback reuses a small
/// vocabulary, and stemming costs more than a lookup).
pub fn stem(word: &str) -> String {
    thread_local! {
        static CACHE: std::cell::RefCell<crate::lexicon::FastMap<String, String>> = Default::default();
    }
    CACHE.with(|c| {
        if let Some(s) = c.borrow().get(word) {
            return s.clone();
        }
        let s = stemmer().stem(word).into_owned();
        let mut c = c.borrow_mut();
        if c.len() >= 100_000 {
            c.clear();
        }
        c.insert(word.to_string(), s.clone());
        s
    })
}

/// Runs the rules over a text.
pub fn extract(text: &str) -> Extracted {
    let tokens = tokenize(text);
    let contrast_at = tokens.iter().rposition(|t| matches!(t, Token::Word { text, .. } if lexicon::is_contrast(text)));
    let mut features: Vec<(String, f32)> = Vec::with_capacity(tokens.len() * 2 + 1);
    let mut origins = Vec::with_capacity(tokens.len() * 2 + 1);
    let mut words: Vec<String> = Vec::with_capacity(tokens.len());
    let mut stems: Vec<String> = Vec::with_capacity(tokens.len());
    let mut reasons = Vec::new();
    let mut lex = 0.0f32;
    let mut negator: Option<(String, usize)> = None;
    let mut modifier: Option<(String, f32)> = None;
    // The previous word of the clause: its index in `words`, whether it is a stopword, its stem.
    let mut prev: Option<(usize, bool, String)> = None;
    let mut words_since_neg = 0;
    let mut bangs = 0;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Break => {
                negator = None;
                modifier = None;
                prev = None;
            }
            Token::Bang => bangs += 1,
            Token::Question => {}
            Token::Emote(e) => {
                if let Some(v) = lexicon::emote(e) {
                    lex += v;
                    reasons.push(Reason::Emote { emote: e.clone(), weight: v });
                }
            }
            Token::Word { text: w, shout } => {
                let info = lexicon::info(w);
                if info.contrast && Some(i) == contrast_at {
                    reasons.push(Reason::Contrast { word: w.clone() });
                }
                let wi = words.len();
                words.push(w.clone());
                if info.negator {
                    negator = Some((w.clone(), i));
                    words_since_neg = 0;
                    let st = stem(w);
                    stems.push(st.clone());
                    prev = Some((wi, false, st));
                    continue;
                }
                if let Some(f) = info.modifier {
                    modifier = Some((w.clone(), f));
                }
                let stem = stem(w);
                stems.push(stem.clone());
                let negated = negator.is_some() && words_since_neg < 4;
                let stop = info.stop;
                if !stop {
                    let mut key = String::with_capacity(stem.len() + 3);
                    key.push_str(if negated { "u:!" } else { "u:" });
                    key.push_str(&stem);
                    features.push((key, 1.0));
                    origins.push((wi, wi, negated));
                }
                if let Some((pi, pstop, pstem)) = prev.as_ref().filter(|(_, pstop, _)| !(stop && *pstop)) {
                    let _ = pstop;
                    let mut key = String::with_capacity(pstem.len() + stem.len() + 3);
                    key.push_str("b:");
                    key.push_str(pstem);
                    key.push('_');
                    key.push_str(&stem);
                    features.push((key, 1.0));
                    origins.push((*pi, wi, false));
                }
                if let Some(v) = info.valence.or_else(|| lexicon::valence(&stem)) {
                    let mut v = v;
                    if let Some((m, f)) = modifier.take() {
                        v *= f;
                        reasons.push(Reason::Intensifier { modifier: m, word: w.clone() });
                    }
                    if *shout {
                        v *= 1.4;
                        reasons.push(Reason::Caps { word: w.clone() });
                    }
                    if negated && let Some((n, _)) = &negator {
                        v *= -0.75;
                        reasons.push(Reason::Negation { negator: n.clone(), word: w.clone() });
                    }
                    match contrast_at {
                        Some(c) if i < c => v *= 0.5,
                        Some(_) => v *= 1.5,
                        None => {}
                    }
                    lex += v;
                }
                words_since_neg += 1;
                prev = Some((wi, stop, stem));
            }
        }
    }
    if bangs > 0 && lex != 0.0 {
        lex *= 1.0 + 0.15 * bangs.min(4) as f32;
        reasons.push(Reason::Exclamation { count: bangs });
    }
    features.push(("lex".into(), (lex / 4.0).tanh()));
    Extracted { features, lexicon_score: lex, reasons, origins, words, stems }
}

/// Scores texts with a model (the shipped one unless another is given).
pub struct Analyzer {
    model: Model,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer { model: Model::shipped().clone() }
    }
}

impl Analyzer {
    pub fn with_model(model: Model) -> Analyzer {
        Analyzer { model }
    }

    pub fn analyze(&self, text: &str) -> Sentiment {
        self.analyze_with_themes(text, None).0
    }

    /// Sentiment and, with a matcher, the themes (indexes into its
    /// taxonomy), from one pass over the text. Text that is not English
    /// gets neither.
    pub fn analyze_with_themes(&self, text: &str, themes: Option<&crate::themes::Matcher>) -> (Sentiment, Vec<usize>) {
        let language = crate::lang::detect(text);
        if language != "en" {
            return (Sentiment { score: 0.0, label: Label::NotAnalysed, language, reasons: Vec::new() }, Vec::new());
        }
        let ex = extract(text);
        let tags = themes.map(|m| m.tag_stems(&ex.stems)).unwrap_or_default();
        let (_, mut contributions) = self.model.explain(&ex.features);
        // Learned word weights come from review sentences of other domains;
        // they count at a discount next to the lexicon's rules.
        for (i, c) in contributions.iter_mut() {
            if ex.features[*i].0 != "lex" {
                *c *= LEARNED_WORD_SHARE;
            }
        }
        let z = self.model.bias + contributions.iter().map(|(_, c)| c).sum::<f32>();
        let has_opinion = ex.lexicon_score != 0.0;
        let learned = contributions.iter().any(|&(i, c)| ex.features[i].0 != "lex" && c.abs() > 0.05);
        let score = if has_opinion {
            (z / 2.0).tanh()
        } else if learned {
            // The bias only reflects the balance of the training sentences.
            ((z - self.model.bias) / 2.0).tanh() * WITHOUT_OPINION_WORDS
        } else {
            0.0
        };
        let label = if score >= NEUTRAL_BAND {
            Label::Positive
        } else if score <= -NEUTRAL_BAND {
            Label::Negative
        } else {
            Label::Neutral
        };
        let mut words: Vec<Reason> = contributions
            .into_iter()
            .filter(|&(i, c)| ex.features[i].0 != "lex" && c.abs() >= 0.15)
            .map(|(i, c)| Reason::Word { word: ex.shown(i), weight: (c * 100.0).round() / 100.0 })
            .collect();
        words.sort_by(|a, b| match (a, b) {
            (Reason::Word { weight: x, .. }, Reason::Word { weight: y, .. }) => y.abs().total_cmp(&x.abs()),
            _ => std::cmp::Ordering::Equal,
        });
        words.truncate(6);
        words.extend(ex.reasons);
        (Sentiment { score, label, language, reasons: words }, tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon_only(text: &str) -> Sentiment {
        Analyzer::with_model(Model::lexicon_only()).analyze(text)
    }

    fn has(s: &Sentiment, pred: impl Fn(&Reason) -> bool) -> bool {
        s.reasons.iter().any(pred)
    }

    #[test]
    fn negation_flips_the_opinion_word() {
        let plain = lexicon_only("The support was helpful.");
        let negated = lexicon_only("The support was not helpful.");
        assert!(plain.score > 0.0 && negated.score < 0.0, "{} {}", plain.score, negated.score);
        assert!(has(
            &negated,
            |r| matches!(r, Reason::Negation { negator, word } if negator == "not" && word == "helpful")
        ));
        assert!(lexicon_only("It doesn't work well.").score < 0.0);
    }

    #[test]
    fn negation_ends_at_the_clause() {
        let s = lexicon_only("Not the cheapest, but the staff were great.");
        assert!(!has(&s, |r| matches!(r, Reason::Negation { word, .. } if word == "great")));
        assert!(s.score > 0.0);
    }

    #[test]
    fn intensifiers_and_softeners_scale() {
        let good = lexicon_only("good").score;
        let very = lexicon_only("very good");
        let slightly = lexicon_only("slightly good").score;
        assert!(very.score > good && slightly < good && slightly > 0.0);
        assert!(has(&very, |r| matches!(r, Reason::Intensifier { modifier, .. } if modifier == "very")));
    }

    #[test]
    fn contrast_weighs_the_later_clause_more() {
        let s = lexicon_only("The food was great, but the service was terrible.");
        assert!(s.score < 0.0, "{}", s.score);
        assert!(has(&s, |r| matches!(r, Reason::Contrast { word } if word == "but")));
        assert!(lexicon_only("The service was terrible, but the food was great.").score > 0.0);
    }

    #[test]
    fn caps_exclamations_and_emoji_add_emphasis() {
        let calm = lexicon_only("great support").score;
        let caps = lexicon_only("GREAT support");
        let bang = lexicon_only("great support!!!");
        assert!(caps.score > calm && bang.score > calm);
        assert!(has(&caps, |r| matches!(r, Reason::Caps { .. })));
        assert!(has(&bang, |r| matches!(r, Reason::Exclamation { count: 3 })));
        let emoji = lexicon_only("delivery arrived 😡");
        assert!(emoji.score < 0.0);
        assert!(has(&emoji, |r| matches!(r, Reason::Emote { .. })));
        assert!(lexicon_only("ok :)").score > 0.0);
    }

    #[test]
    fn plain_facts_are_neutral_and_other_languages_are_not_analysed() {
        assert_eq!(lexicon_only("I called on Tuesday about my invoice.").label, Label::Neutral);
        let s = Analyzer::default().analyze("Please send me the invoice for October.");
        assert_eq!(s.label, Label::Neutral, "{s:?}");
        let es = Analyzer::default().analyze("El servicio fue muy lento y la comida estaba fría.");
        assert_eq!((es.label, es.language, es.score), (Label::NotAnalysed, "es", 0.0));
    }

    #[test]
    fn the_shipped_model_reads_customer_feedback() {
        let a = Analyzer::default();
        for (text, label) in [
            ("The support team was very helpful and quick!", Label::Positive),
            ("Waited four days for a reply, nobody helped.", Label::Negative),
            ("The new dashboard is confusing and slow.", Label::Negative),
            ("Setup took one afternoon, really easy.", Label::Positive),
            ("We were charged twice and the refund never came.", Label::Negative),
        ] {
            let s = a.analyze(text);
            assert_eq!(s.label, label, "{text}: {s:?}");
            assert!(s.reasons.iter().any(|r| matches!(r, Reason::Word { .. })), "{text} explains itself");
        }
    }
}
