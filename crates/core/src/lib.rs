//! cxloop-core: the domain of cxloop, free of I/O.
//!
//! Surveys and their questions ([`survey`]), answers and their validation
//! ([`answer`]), KPI statistics with intervals and significance ([`stats`]),
//! and calendar bucketing for trends ([`period`]). Storage, HTTP and the CLI
//! build on these types; nothing here knows about them.

pub mod access;
pub mod answer;
pub mod customer;
pub mod ids;
pub mod metrics;
pub mod period;
pub mod segment;
pub mod stats;
pub mod survey;

pub use answer::{AnswerError, AnswerValue, Answers};
pub use survey::{Question, QuestionType, Survey, SurveyError, SurveySpec, SurveyStatus};
