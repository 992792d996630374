//! cxloop's own sentiment lexicon for customer feedback: opinion words with
//! a valence from −3 to +3, and the words that change them (negators,
//! intensifiers, softeners, contrast). Written for this project; the learned
//! model (`model.rs`) adds what a fixed list cannot know.

/// Opinion words and their valence. Stems are matched too (see `lookup`).
const WORDS: &str = "
amazing 3 awesome 3 excellent 3 outstanding 3 superb 3 fantastic 3 perfect 3 wonderful 3 brilliant 3 exceptional 3
love 3 loved 3 loves 3 loving 2 adore 3 best 3 flawless 3 incredible 3 phenomenal 3 stellar 3 terrific 3 delightful 3
great 2.5 impressive 2 impressed 2 happy 2 pleased 2 glad 2 enjoy 2 enjoyed 2 enjoyable 2 recommend 2 recommended 2
good 1.8 nice 1.8 helpful 2 friendly 2 kind 1.5 polite 1.5 courteous 1.5 patient 1.5 responsive 1.8 professional 1.5
knowledgeable 1.8 reliable 2 stable 1.2 fast 1.5 quick 1.5 quickly 1.2 speedy 1.5 prompt 1.5 efficient 1.8 smooth 1.5
easy 1.8 easier 1.2 simple 1 intuitive 2 clear 1.2 clean 1 fair 1.2 affordable 1.5 cheap 0.5 worth 1.5 value 1
valuable 1.8 useful 1.8 handy 1.5 convenient 1.5 comfortable 1.5 fine 0.8 solid 1.5 sturdy 1.5 quality 1
beautiful 2 lovely 2.5 gorgeous 2.5 tasty 2 delicious 2.5 fresh 1.2 fun 1.8 funny 1.5 interesting 1.2 entertaining 2
thanks 1.5 thank 1.5 grateful 2 appreciate 2 appreciated 2 satisfied 2 satisfying 2 success 2 successful 2 win 1.5
well 0.8 better 1.2 improved 1.5 improvement 1.2 seamless 2 effortless 2 superior 2 favorite 2 favourite 2 cool 1.5
works 1 worked 1 working 0.8 solved 2 resolved 2 fixed 1.5 accurate 1.5 secure 1 safe 1 positive 1.5 wow 2 yay 2
recommendable 2 top 1.5 gem 2 masterpiece 3 classic 1.5 beautifully 2 nicely 1.5 pleasant 2 warm 1 welcoming 2
attentive 2 thorough 1.5 transparent 1.2 honest 1.5 generous 2 exceeded 2.5 exceeds 2 thrilled 3 ecstatic 3 joy 2.5
bad 2.5- terrible 3- awful 3- horrible 3- worst 3- poor 2- poorly 2- disappointing 2.5- disappointed 2.5- disappointment 2.5-
hate 3- hated 3- useless 2.5- pointless 2- broken 2.5- broke 2- fail 2- failed 2- fails 2- failure 2.5- faulty 2.5- defective 2.5-
slow 2- slowly 1.5- sluggish 2- laggy 2- lag 1.5- delay 1.5- delayed 1.8- late 1.5- waiting 1- wait 1- waited 1.5-
rude 2.5- unfriendly 2- unhelpful 2.5- incompetent 3- ignorant 2- arrogant 2.5- dismissive 2- careless 2- unprofessional 2.5-
expensive 1.5- overpriced 2.5- pricey 1.2- costly 1.5- ripoff 3- scam 3- fraud 3- cheated 3- overcharged 2.5- refund 1-
confusing 2- confused 1.5- complicated 1.5- difficult 1.8- hard 1.2- frustrating 2.5- frustrated 2.5- annoying 2- annoyed 2-
bug 1.5- buggy 2.5- bugs 1.5- crash 2.5- crashes 2.5- crashed 2.5- error 1.5- errors 1.5- glitch 2- glitchy 2- outage 2.5- down 0.8-
problem 1.5- problems 1.5- issue 1.2- issues 1.2- trouble 1.5- mess 2- messy 2- ugly 2- junk 2.5- garbage 3- crap 2.5- crappy 2.5-
wrong 1.8- mistake 1.5- unreliable 2.5- unstable 2- unusable 3- unacceptable 3- ridiculous 2.5- pathetic 3- stupid 2.5- dumb 2-
boring 2- bored 1.8- dull 1.8- bland 1.8- mediocre 1.8- meh 1.2- lame 2- weak 1.5- cheaply 1.5- flimsy 2- lousy 2.5- sucks 2.5- suck 2.5-
angry 2.5- upset 2- sad 2- unhappy 2.5- dissatisfied 2.5- unsatisfied 2- regret 2.5- sorry 0.8- worse 2- worst 3- nightmare 3-
avoid 2- waste 2.5- wasted 2.5- lost 1.2- lose 1.2- missing 1.2- ignored 2- ignore 1.5- never 0.5- nobody 1- noone 1-
cancel 1.2- cancelled 1.2- canceled 1.2- churn 1.5- leaving 1- switch 0.5- complaint 1.5- complain 1.5- disgusting 3- gross 2.5-
cold 0.8- dirty 2- stale 1.8- burnt 1.8- soggy 1.8- overcooked 1.8- undercooked 1.8- inedible 3- noisy 1.2- cramped 1.2-
hassle 2- painful 2- pain 1.5- tedious 2- clunky 2- cumbersome 2- awkward 1.5- outdated 1.5- obsolete 1.5- lacking 1.5- lacks 1.5-
misleading 2.5- dishonest 2.5- hidden 0.8- unclear 1.5- vague 1.2- inconsistent 1.5- inaccurate 2- incorrect 1.8- confusion 1.5-
";

/// Words that flip the valence of what follows in their clause.
pub const NEGATORS: &[&str] = &[
    "not",
    "no",
    "never",
    "none",
    "nothing",
    "neither",
    "nor",
    "nobody",
    "without",
    "hardly",
    "barely",
    "cannot",
    "cant",
    "can't",
    "don't",
    "dont",
    "doesn't",
    "doesnt",
    "didn't",
    "didnt",
    "isn't",
    "isnt",
    "wasn't",
    "wasnt",
    "aren't",
    "arent",
    "weren't",
    "werent",
    "won't",
    "wont",
    "wouldn't",
    "wouldnt",
    "shouldn't",
    "couldn't",
    "couldnt",
    "haven't",
    "havent",
    "hasn't",
    "hasnt",
    "hadn't",
    "ain't",
    "lack",
    "lacked",
];

/// Words that strengthen (> 1) or soften (< 1) the next opinion word.
pub const MODIFIERS: &[(&str, f32)] = &[
    ("very", 1.3),
    ("really", 1.3),
    ("extremely", 1.5),
    ("super", 1.4),
    ("so", 1.25),
    ("incredibly", 1.5),
    ("absolutely", 1.4),
    ("totally", 1.3),
    ("completely", 1.4),
    ("utterly", 1.5),
    ("highly", 1.3),
    ("truly", 1.3),
    ("most", 1.2),
    ("too", 1.2),
    ("quite", 1.1),
    ("such", 1.2),
    ("especially", 1.2),
    ("exceptionally", 1.5),
    ("slightly", 0.6),
    ("somewhat", 0.7),
    ("bit", 0.7),
    ("little", 0.7),
    ("fairly", 0.8),
    ("rather", 0.85),
    ("kinda", 0.7),
    ("sort", 0.8),
    ("almost", 0.7),
    ("mostly", 0.85),
    ("pretty", 1.1),
];

/// Function words that carry no opinion of their own: they get no learned
/// weight alone (pairs with an opinion word still do), so that a plain
/// factual sentence stays neutral.
pub const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from", "about", "as", "into",
    "i", "me", "my", "we", "us", "our", "you", "your", "he", "she", "him", "her", "his", "it", "its", "they", "them",
    "their", "this", "that", "these", "those", "there", "here", "is", "am", "are", "was", "were", "be", "been",
    "being", "have", "has", "had", "do", "does", "did", "will", "would", "shall", "should", "can", "could", "may",
    "might", "must", "what", "which", "who", "whom", "when", "where", "why", "how", "if", "then", "than", "also",
    "just", "one", "all", "any", "some", "each", "every", "other", "such", "own", "same", "up", "out", "off", "over",
    "again", "once", "s", "t", "d", "ll", "m", "re", "ve", "it's", "i'm", "i've", "i'd", "we're", "they're", "that's",
    "there's",
];

pub fn is_stopword(word: &str) -> bool {
    info(word).stop
}

/// Words after which the clause that follows weighs more than the one before.
pub const CONTRAST: &[&str] = &["but", "however", "although", "though", "yet", "except", "unfortunately"];

/// Emoticons and emoji with their valence.
pub const EMOTES: &[(&str, f32)] = &[
    (":)", 2.0),
    (":-)", 2.0),
    (":D", 2.5),
    (":-D", 2.5),
    (";)", 1.5),
    (";-)", 1.5),
    ("<3", 2.5),
    (":P", 1.0),
    (":-P", 1.0),
    (":(", -2.0),
    (":-(", -2.0),
    (":'(", -2.5),
    (":/", -1.2),
    (":-/", -1.2),
    (":|", -0.5),
    ("</3", -2.5),
    ("😀", 2.0),
    ("😃", 2.0),
    ("😄", 2.2),
    ("😁", 2.0),
    ("😊", 2.0),
    ("🙂", 1.5),
    ("😍", 3.0),
    ("🥰", 3.0),
    ("👍", 2.0),
    ("👏", 2.0),
    ("🎉", 2.0),
    ("❤", 2.5),
    ("💯", 2.0),
    ("⭐", 1.5),
    ("🙁", -1.5),
    ("☹", -2.0),
    ("😞", -2.0),
    ("😠", -2.5),
    ("😡", -3.0),
    ("🤬", -3.0),
    ("😢", -2.0),
    ("😭", -2.5),
    ("👎", -2.0),
    ("💩", -2.5),
    ("🤮", -3.0),
    ("😤", -2.0),
];

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// FNV-1a: keys here are short and trusted, so a fast hash beats SipHash.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Everything the rules need to know about one word, found with one lookup.
#[derive(Debug, Clone, Copy, Default)]
pub struct WordInfo {
    pub valence: Option<f32>,
    pub negator: bool,
    pub modifier: Option<f32>,
    pub stop: bool,
    pub contrast: bool,
}

fn table() -> &'static FastMap<&'static str, WordInfo> {
    static T: OnceLock<FastMap<&'static str, WordInfo>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m: FastMap<&'static str, WordInfo> = FastMap::default();
        let mut it = WORDS.split_whitespace();
        while let (Some(w), Some(v)) = (it.next(), it.next()) {
            let (num, neg) = match v.strip_suffix('-') {
                Some(n) => (n, true),
                None => (v, false),
            };
            if let Ok(x) = num.parse::<f32>() {
                m.entry(w).or_default().valence = Some(if neg { -x } else { x });
            }
        }
        for w in NEGATORS {
            m.entry(w).or_default().negator = true;
        }
        for (w, f) in MODIFIERS {
            m.entry(w).or_default().modifier = Some(*f);
        }
        for w in STOPWORDS {
            m.entry(w).or_default().stop = true;
        }
        for w in CONTRAST {
            m.entry(w).or_default().contrast = true;
        }
        m
    })
}

/// What the lexicon knows about a lowercased word.
pub fn info(word: &str) -> WordInfo {
    let mut i = table().get(word).copied().unwrap_or_default();
    if !i.negator && word.ends_with("n't") {
        i.negator = true;
    }
    i
}

/// The valence of a lowercased word, if it is an opinion word.
pub fn valence(word: &str) -> Option<f32> {
    table().get(word).and_then(|i| i.valence)
}

pub fn is_negator(word: &str) -> bool {
    info(word).negator
}

pub fn modifier(word: &str) -> Option<f32> {
    info(word).modifier
}

pub fn is_contrast(word: &str) -> bool {
    info(word).contrast
}

pub fn emote(e: &str) -> Option<f32> {
    EMOTES.iter().find(|(x, _)| *x == e).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_parses_with_signs() {
        assert_eq!(valence("excellent"), Some(3.0));
        assert_eq!(valence("rude"), Some(-2.5));
        assert_eq!(valence("table"), None);
        assert!(table().values().filter(|i| i.valence.is_some()).count() > 300);
        assert!(is_negator("doesn't") && is_negator("never") && !is_negator("note"));
    }
}
