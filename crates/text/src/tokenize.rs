//! Splitting text into the tokens sentiment rules look at: lowercased
//! words (with their original shouting, if ALL CAPS), emoticons and emoji,
//! and the punctuation that closes a clause or adds emphasis.

/// One token of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A lowercased word; `shout` when it was written in capitals (2+ letters).
    Word { text: String, shout: bool },
    /// An emoticon or emoji, kept as written (`:)`, `🙂`).
    Emote(String),
    /// `!` (each one counts).
    Bang,
    /// `?`
    Question,
    /// A clause break: `.`, `,`, `;`, `:` and line breaks.
    Break,
}

const EMOTICONS: &[&str] = &[
    ":-)", ":)", ":-(", ":(", ":D", ":-D", ";)", ";-)", ":/", ":-/", ":|", ":P", ":-P", ":'(", "<3", "</3", ":o", ":O",
];

fn is_emoji(c: char) -> bool {
    matches!(u32::from(c), 0x1F300..=0x1FAFF | 0x2600..=0x27BF)
}

/// Tokenizes `text`. Apostrophes inside words are kept (`don't`), so that
/// negations survive; other punctuation separates words.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    'outer: while i < chars.len() {
        let c = chars[i];
        for e in EMOTICONS.iter().filter(|_| matches!(c, ':' | ';' | '<')) {
            let n = e.chars().count();
            if i + n <= chars.len() && chars[i..i + n].iter().copied().eq(e.chars()) {
                // An emoticon needs a boundary after it (":D" is not the start of ":Data").
                if chars.get(i + n).is_none_or(|c| !c.is_alphanumeric()) {
                    out.push(Token::Emote((*e).to_string()));
                    i += n;
                    continue 'outer;
                }
            }
        }
        if c.is_alphanumeric() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || ((chars[i] == '\'' || chars[i] == '’')
                        && i + 1 < chars.len()
                        && chars[i + 1].is_alphabetic()
                        && i > start))
            {
                i += 1;
            }
            let raw: String = chars[start..i].iter().collect();
            let letters = raw.chars().filter(|c| c.is_alphabetic()).count();
            let shout = letters >= 2 && raw.chars().all(|c| !c.is_lowercase());
            let mut text = raw.to_lowercase();
            if text.contains('’') {
                text = text.replace('’', "'");
            }
            out.push(Token::Word { text, shout });
            continue;
        }
        if is_emoji(c) {
            out.push(Token::Emote(c.to_string()));
        } else {
            let dash_break = c == '-'
                && (chars.get(i + 1) == Some(&' ') || i.checked_sub(1).and_then(|j| chars.get(j)) == Some(&' '));
            match c {
                '!' => out.push(Token::Bang),
                '?' => out.push(Token::Question),
                '.' | ',' | ';' | ':' | '\n' | '(' | ')' | '–' | '—' | '-'
                    if (c != '-' || dash_break) && out.last() != Some(&Token::Break) =>
                {
                    out.push(Token::Break)
                }
                _ => {}
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(t: &[Token]) -> Vec<&str> {
        t.iter()
            .filter_map(|t| match t {
                Token::Word { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn words_keep_apostrophes_and_lose_case() {
        let t = tokenize("I don't LOVE it, but it’s OK!!");
        assert_eq!(words(&t), vec!["i", "don't", "love", "it", "but", "it's", "ok"]);
        assert!(t.contains(&Token::Word { text: "love".into(), shout: true }));
        assert!(t.contains(&Token::Word { text: "i".into(), shout: false }), "one capital letter is not shouting");
        assert_eq!(t.iter().filter(|t| **t == Token::Bang).count(), 2);
        assert!(t.contains(&Token::Break));
    }

    #[test]
    fn emoticons_and_emoji_are_tokens() {
        let t = tokenize("great support :) 😀 but :Data stays a word");
        assert!(t.contains(&Token::Emote(":)".into())));
        assert!(t.contains(&Token::Emote("😀".into())));
        assert!(words(&t).contains(&"data"));
    }
}
