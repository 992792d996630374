//! A small language check: is this text English? Sentiment and themes are
//! English-only, so other languages are marked "not analysed" instead of
//! being scored as if they were English. Decides by common function words
//! (and by script for non-Latin text).

const EN: &[&str] = &[
    "the", "and", "is", "it", "to", "of", "was", "for", "with", "this", "that", "you", "not", "but", "are", "have",
    "i", "my", "we", "very", "on", "in", "at", "be", "they", "had", "were", "so", "our", "your", "would", "will",
    "just",
];
const OTHERS: &[(&str, &[&str])] = &[
    (
        "es",
        &[
            "el", "la", "los", "las", "que", "y", "en", "es", "muy", "pero", "por", "con", "una", "para", "del", "lo",
            "su", "está", "fue", "nos",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "et", "est", "un", "une", "très", "pas", "mais", "pour", "avec", "je", "il", "des",
            "du", "nous", "vous", "c'est", "été",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ist", "nicht", "sehr", "aber", "ich", "mit", "ein", "eine", "für", "zu", "es",
            "wir", "war", "auch", "den", "dem",
        ],
    ),
    (
        "pt",
        &[
            "o", "os", "as", "e", "é", "não", "muito", "mas", "com", "um", "uma", "para", "que", "foi", "nos", "do",
            "da", "em", "está", "mais",
        ],
    ),
    (
        "it",
        &[
            "il", "lo", "gli", "e", "è", "non", "molto", "ma", "con", "uno", "una", "per", "che", "di", "sono", "del",
            "della", "anche", "ho", "questo",
        ],
    ),
    (
        "nl",
        &[
            "het", "een", "en", "niet", "zeer", "heel", "maar", "met", "voor", "van", "ik", "wij", "was", "ook",
            "zijn", "dat", "die", "erg", "wel", "geen",
        ],
    ),
];

/// The language of `text` as a code (`en`, `es`, `fr`, `de`, `pt`, `it`,
/// `nl`), `other` for a non-Latin script; short or unclear text counts as English.
pub fn detect(text: &str) -> &'static str {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let latin =
        text.chars().filter(|c| c.is_alphabetic() && (c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(c))).count();
    if letters >= 4 && latin * 2 < letters {
        return "other";
    }
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphabetic() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() < 4 {
        return "en";
    }
    let count = |list: &[&str]| words.iter().filter(|w| list.contains(&w.as_str())).count();
    let en = count(EN);
    let (code, best) =
        OTHERS.iter().map(|(code, list)| (*code, count(list))).max_by_key(|(_, n)| *n).unwrap_or(("en", 0));
    if best >= 2 && best > en { code } else { "en" }
}

#[cfg(test)]
mod tests {
    use super::detect;

    #[test]
    fn english_and_other_languages_are_told_apart() {
        assert_eq!(detect("The support team was very helpful and quick."), "en");
        assert_eq!(detect("El servicio fue muy lento y la comida estaba fría."), "es");
        assert_eq!(detect("Le service était très lent et pas du tout aimable."), "fr");
        assert_eq!(detect("Der Support war sehr langsam und nicht hilfreich."), "de");
        assert_eq!(detect("Очень медленная доставка и плохая поддержка"), "other");
        assert_eq!(detect("Great!"), "en", "short texts are taken as English");
    }
}
