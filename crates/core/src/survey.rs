//! Surveys and questions: what may be asked, and the rules a survey
//! definition must satisfy before it can exist.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// The kinds of question a survey can ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// Net Promoter Score, 0–10.
    Nps,
    /// Customer satisfaction, 1–5.
    Csat,
    /// Customer effort ("how easy was it"), 1–7.
    Ces,
    /// A numeric scale with a configurable range and end labels.
    Rating,
    SingleChoice,
    MultipleChoice,
    Text,
}

impl QuestionType {
    pub const ALL: [QuestionType; 7] = [
        QuestionType::Nps,
        QuestionType::Csat,
        QuestionType::Ces,
        QuestionType::Rating,
        QuestionType::SingleChoice,
        QuestionType::MultipleChoice,
        QuestionType::Text,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Nps => "nps",
            QuestionType::Csat => "csat",
            QuestionType::Ces => "ces",
            QuestionType::Rating => "rating",
            QuestionType::SingleChoice => "single_choice",
            QuestionType::MultipleChoice => "multiple_choice",
            QuestionType::Text => "text",
        }
    }

    /// A human label for menus.
    pub fn label(self) -> &'static str {
        match self {
            QuestionType::Nps => "NPS (0–10)",
            QuestionType::Csat => "CSAT (1–5)",
            QuestionType::Ces => "CES (1–7)",
            QuestionType::Rating => "Rating scale",
            QuestionType::SingleChoice => "Single choice",
            QuestionType::MultipleChoice => "Multiple choice",
            QuestionType::Text => "Free text",
        }
    }

    /// True for questions answered with a number on a scale.
    pub fn is_scored(self) -> bool {
        matches!(self, QuestionType::Nps | QuestionType::Csat | QuestionType::Ces | QuestionType::Rating)
    }

    /// The fixed scale of the standard KPI questions.
    pub fn fixed_range(self) -> Option<(i32, i32)> {
        match self {
            QuestionType::Nps => Some((0, 10)),
            QuestionType::Csat => Some((1, 5)),
            QuestionType::Ces => Some((1, 7)),
            _ => None,
        }
    }
}

impl fmt::Display for QuestionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for QuestionType {
    type Err = SurveyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        QuestionType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| SurveyError::UnknownType(s.to_string()))
    }
}

/// Lifecycle of a survey. Only active surveys accept responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyStatus {
    Draft,
    Active,
    Closed,
}

impl SurveyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyStatus::Draft => "draft",
            SurveyStatus::Active => "active",
            SurveyStatus::Closed => "closed",
        }
    }
}

impl FromStr for SurveyStatus {
    type Err = SurveyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "draft" => Ok(SurveyStatus::Draft),
            "active" => Ok(SurveyStatus::Active),
            "closed" => Ok(SurveyStatus::Closed),
            other => Err(SurveyError::UnknownStatus(other.to_string())),
        }
    }
}

/// Why a survey definition was refused. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurveyError {
    #[error("title must not be empty")]
    EmptyTitle,
    #[error("title is longer than 200 characters")]
    TitleTooLong,
    #[error("a survey needs at least one question")]
    NoQuestions,
    #[error("a survey may have at most 100 questions")]
    TooManyQuestions,
    #[error("unknown question type {0:?}")]
    UnknownType(String),
    #[error("unknown status {0:?}; use draft, active or closed")]
    UnknownStatus(String),
    #[error("question {index}: {message}")]
    Question { index: usize, field: &'static str, message: String },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("question {key:?} already has responses; its {what} cannot change")]
    IncompatibleEdit { key: String, what: &'static str },
}

impl SurveyError {
    /// The request field this error is about, in JSON-path style.
    pub fn field(&self) -> String {
        match self {
            SurveyError::EmptyTitle | SurveyError::TitleTooLong => "title".into(),
            SurveyError::NoQuestions | SurveyError::TooManyQuestions => "questions".into(),
            SurveyError::UnknownType(_) => "questions.type".into(),
            SurveyError::UnknownStatus(_) => "status".into(),
            SurveyError::Question { index, field, .. } => format!("questions[{index}].{field}"),
            SurveyError::TooLong { field, .. } => (*field).into(),
            SurveyError::IncompatibleEdit { .. } => "questions".into(),
        }
    }
}

/// One question as stored and served. Unknown fields are refused, so a
/// misspelt `requried` is an error rather than silently ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub text: String,
    #[serde(default)]
    pub required: bool,
    /// Choices, for single and multiple choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Scale bounds for rating questions (fixed for NPS, CSAT, CES).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_label: Option<String>,
}

impl Question {
    /// An optional question with no options, labels or custom scale.
    pub fn new(key: &str, kind: QuestionType, text: &str) -> Question {
        Question {
            key: key.into(),
            kind,
            text: text.into(),
            required: false,
            options: Vec::new(),
            min: None,
            max: None,
            min_label: None,
            max_label: None,
        }
    }

    /// The inclusive scale of a scored question.
    pub fn range(&self) -> Option<(i32, i32)> {
        match self.kind {
            QuestionType::Rating => Some((self.min.unwrap_or(1), self.max.unwrap_or(5))),
            k => k.fixed_range(),
        }
    }

    /// Label for the low end of the scale, with a sensible default per type.
    pub fn low_label(&self) -> &str {
        match (&self.min_label, self.kind) {
            (Some(l), _) if !l.is_empty() => l,
            (_, QuestionType::Nps) => "Not at all likely",
            (_, QuestionType::Csat) => "Very dissatisfied",
            (_, QuestionType::Ces) => "Very difficult",
            _ => "",
        }
    }

    /// Label for the high end of the scale.
    pub fn high_label(&self) -> &str {
        match (&self.max_label, self.kind) {
            (Some(l), _) if !l.is_empty() => l,
            (_, QuestionType::Nps) => "Extremely likely",
            (_, QuestionType::Csat) => "Very satisfied",
            (_, QuestionType::Ces) => "Very easy",
            _ => "",
        }
    }
}

/// A survey definition as submitted by a user, before validation.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SurveySpec {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub touchpoint: Option<String>,
    #[serde(default)]
    pub thank_you: Option<String>,
    pub questions: Vec<Question>,
}

/// A survey: a validated definition plus identity and lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Survey {
    pub id: crate::ids::SurveyId,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub touchpoint: Option<String>,
    pub thank_you: Option<String>,
    pub status: SurveyStatus,
    pub questions: Vec<Question>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: time::OffsetDateTime,
}

impl Survey {
    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.key == key)
    }

    /// The first NPS, CSAT or CES question: the survey's headline score.
    pub fn headline_question(&self) -> Option<&Question> {
        self.questions
            .iter()
            .find(|q| q.kind.fixed_range().is_some())
            .or_else(|| self.questions.iter().find(|q| q.kind.is_scored()))
    }
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && key.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn trimmed(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Trimmed optional text of at most `max` characters.
fn bounded(field: &'static str, s: Option<String>, max: usize) -> Result<Option<String>, SurveyError> {
    let s = trimmed(s);
    if s.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(SurveyError::TooLong { field, max });
    }
    Ok(s)
}

/// A scale label: trimmed, at most 100 characters.
fn label(s: Option<String>) -> Result<Option<String>, String> {
    let s = trimmed(s);
    if s.as_ref().is_some_and(|s| s.chars().count() > 100) {
        return Err("a scale label is longer than 100 characters".into());
    }
    Ok(s)
}

impl SurveySpec {
    /// Checks the definition and returns it normalised (trimmed text, ranges
    /// filled in). Every error names the field that caused it.
    pub fn validate(self) -> Result<SurveySpec, SurveyError> {
        let title = self.title.trim().to_string();
        if title.is_empty() {
            return Err(SurveyError::EmptyTitle);
        }
        if title.chars().count() > 200 {
            return Err(SurveyError::TitleTooLong);
        }
        let touchpoint = bounded("touchpoint", self.touchpoint, 100)?;
        let description = bounded("description", self.description, 2000)?;
        let thank_you = bounded("thank_you", self.thank_you, 1000)?;
        if self.questions.is_empty() {
            return Err(SurveyError::NoQuestions);
        }
        if self.questions.len() > 100 {
            return Err(SurveyError::TooManyQuestions);
        }
        let mut keys = HashSet::new();
        let mut questions = Vec::with_capacity(self.questions.len());
        for (index, q) in self.questions.into_iter().enumerate() {
            let err = |field: &'static str, message: String| SurveyError::Question { index, field, message };
            let key = q.key.trim().to_string();
            if !valid_key(&key) {
                return Err(err(
                    "key",
                    format!("key {key:?} must start with a-z and use only a-z, 0-9 and _ (at most 40)"),
                ));
            }
            if !keys.insert(key.clone()) {
                return Err(err("key", format!("key {key:?} is used twice")));
            }
            let text = q.text.trim().to_string();
            if text.is_empty() {
                return Err(err("text", "question text must not be empty".into()));
            }
            if text.chars().count() > 1000 {
                return Err(err("text", "question text is longer than 1000 characters".into()));
            }
            let mut out = Question {
                key,
                kind: q.kind,
                text,
                required: q.required,
                options: Vec::new(),
                min: None,
                max: None,
                min_label: label(q.min_label).map_err(|m| err("min_label", m))?,
                max_label: label(q.max_label).map_err(|m| err("max_label", m))?,
            };
            match q.kind {
                QuestionType::SingleChoice | QuestionType::MultipleChoice => {
                    let mut seen = HashSet::new();
                    for o in q.options {
                        let o = o.trim().to_string();
                        if o.is_empty() {
                            continue;
                        }
                        if o.chars().count() > 200 {
                            return Err(err("options", "an option is longer than 200 characters".into()));
                        }
                        if !seen.insert(o.clone()) {
                            return Err(err("options", format!("option {o:?} is listed twice")));
                        }
                        out.options.push(o);
                    }
                    if out.options.len() < 2 {
                        return Err(err("options", "a choice question needs at least two options".into()));
                    }
                    if out.options.len() > 50 {
                        return Err(err("options", "a choice question may have at most 50 options".into()));
                    }
                }
                QuestionType::Rating => {
                    let (min, max) = (q.min.unwrap_or(1), q.max.unwrap_or(5));
                    if min >= max || max - min > 100 || min < -100 || max > 100 {
                        return Err(err(
                            "max",
                            format!(
                                "rating range {min}..{max} must have min < max, within -100..100, at most 101 points"
                            ),
                        ));
                    }
                    out.min = Some(min);
                    out.max = Some(max);
                }
                _ => {
                    if !q.options.is_empty() {
                        return Err(err("options", format!("a {} question takes no options", q.kind)));
                    }
                }
            }
            questions.push(out);
        }
        Ok(SurveySpec { title, description, touchpoint, thank_you, questions })
    }
}

/// Refuses edits that would make stored answers meaningless: once a survey
/// has responses, an existing question keeps its key, type and scale.
/// Text, labels, requiredness and added options or questions are fine.
pub fn check_edit(old: &[Question], new: &[Question]) -> Result<(), SurveyError> {
    for o in old {
        let Some(n) = new.iter().find(|n| n.key == o.key) else {
            return Err(SurveyError::IncompatibleEdit { key: o.key.clone(), what: "existence (it cannot be removed)" });
        };
        if n.kind != o.kind {
            return Err(SurveyError::IncompatibleEdit { key: o.key.clone(), what: "type" });
        }
        if n.range() != o.range() {
            return Err(SurveyError::IncompatibleEdit { key: o.key.clone(), what: "scale" });
        }
        if o.options.iter().any(|opt| !n.options.contains(opt)) {
            return Err(SurveyError::IncompatibleEdit { key: o.key.clone(), what: "existing options" });
        }
    }
    Ok(())
}

/// Makes a URL slug from a title: lowercase ASCII words joined by dashes.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 48 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() { "survey".to_string() } else { slug }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(key: &str, kind: QuestionType) -> Question {
        Question {
            key: key.into(),
            kind,
            text: "How was it?".into(),
            required: true,
            options: vec![],
            min: None,
            max: None,
            min_label: None,
            max_label: None,
        }
    }

    fn spec(questions: Vec<Question>) -> SurveySpec {
        SurveySpec { title: " Relationship NPS ".into(), questions, ..Default::default() }
    }

    #[test]
    fn a_valid_survey_is_normalised() {
        let s = spec(vec![q("nps", QuestionType::Nps), q("why", QuestionType::Text)]).validate().unwrap();
        assert_eq!(s.title, "Relationship NPS");
        assert_eq!(s.questions[0].range(), Some((0, 10)));
    }

    #[test]
    fn duplicate_keys_name_the_second_question() {
        let e = spec(vec![q("a", QuestionType::Nps), q("a", QuestionType::Text)]).validate().unwrap_err();
        assert_eq!(e.field(), "questions[1].key");
    }

    #[test]
    fn bad_keys_are_refused() {
        for key in ["", "1abc", "A", "has space", "x".repeat(41).as_str()] {
            let e = spec(vec![q(key, QuestionType::Nps)]).validate().unwrap_err();
            assert_eq!(e.field(), "questions[0].key", "{key}");
        }
    }

    #[test]
    fn choice_questions_need_two_distinct_options() {
        let mut c = q("pick", QuestionType::SingleChoice);
        c.options = vec!["a".into(), " ".into()];
        let e = spec(vec![c.clone()]).validate().unwrap_err();
        assert_eq!(e.field(), "questions[0].options");
        c.options = vec!["a".into(), "a".into()];
        assert!(spec(vec![c]).validate().is_err());
    }

    #[test]
    fn rating_range_must_be_sane() {
        let mut r = q("r", QuestionType::Rating);
        r.min = Some(5);
        r.max = Some(5);
        assert_eq!(spec(vec![r.clone()]).validate().unwrap_err().field(), "questions[0].max");
        r.min = None;
        r.max = None;
        let s = spec(vec![r]).validate().unwrap();
        assert_eq!(s.questions[0].range(), Some((1, 5)));
    }

    #[test]
    fn free_text_is_bounded_and_the_error_names_the_field() {
        let long = |n: usize| Some("x".repeat(n));
        let at_limit = SurveySpec {
            description: long(2000),
            thank_you: long(1000),
            touchpoint: long(100),
            ..spec(vec![q("a", QuestionType::Nps)])
        };
        assert!(at_limit.clone().validate().is_ok());
        for (field, s) in [
            ("description", SurveySpec { description: long(2001), ..at_limit.clone() }),
            ("thank_you", SurveySpec { thank_you: long(1001), ..at_limit.clone() }),
            ("touchpoint", SurveySpec { touchpoint: long(101), ..at_limit.clone() }),
        ] {
            assert_eq!(s.validate().unwrap_err().field(), field);
        }
        let mut labelled = q("r", QuestionType::Rating);
        labelled.max_label = long(100);
        assert!(spec(vec![labelled.clone()]).validate().is_ok());
        labelled.max_label = long(101);
        assert_eq!(spec(vec![labelled]).validate().unwrap_err().field(), "questions[0].max_label");
    }

    #[test]
    fn a_question_with_an_unknown_field_is_refused() {
        let e = serde_json::from_str::<Question>(r#"{"key":"a","type":"nps","text":"?","requried":true}"#);
        assert!(e.unwrap_err().to_string().contains("requried"));
    }

    #[test]
    fn empty_title_and_no_questions_are_refused() {
        let mut s = spec(vec![q("a", QuestionType::Nps)]);
        s.title = "  ".into();
        assert_eq!(s.validate().unwrap_err(), SurveyError::EmptyTitle);
        assert_eq!(spec(vec![]).validate().unwrap_err(), SurveyError::NoQuestions);
    }

    #[test]
    fn unknown_type_strings_are_refused() {
        assert!("stars".parse::<QuestionType>().is_err());
        assert_eq!("multiple_choice".parse::<QuestionType>().unwrap(), QuestionType::MultipleChoice);
    }

    #[test]
    fn edits_may_not_change_type_or_drop_questions_with_answers() {
        let old = vec![q("nps", QuestionType::Nps), q("why", QuestionType::Text)];
        let mut new = old.clone();
        new[0].text = "Would you recommend us?".into();
        new.push(q("extra", QuestionType::Csat));
        assert!(check_edit(&old, &new).is_ok());
        new[1].kind = QuestionType::Csat;
        assert!(check_edit(&old, &new).is_err());
        assert!(check_edit(&old, &old[..1]).is_err());
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("Post-support CSAT (Q3)!"), "post-support-csat-q3");
        assert_eq!(slugify("¿¿??"), "survey");
    }
}
