//! cxloop-text: understanding free text inside cxloop, with no external
//! model service. Explainable sentiment ([`sentiment`]) from rules over an
//! own lexicon ([`lexicon`]) plus a learned logistic model ([`model`]), a
//! language check ([`lang`]), themes from an editable taxonomy
//! ([`themes`]), and evaluation helpers ([`eval`]). Pure: no
//! I/O, no async.

pub mod eval;
pub mod lang;
pub mod lexicon;
pub mod model;
pub mod sentiment;
pub mod themes;
pub mod tokenize;

pub use sentiment::{Analyzer, Label, Reason, Sentiment};
pub use themes::{Matcher, Taxonomy, Theme};
