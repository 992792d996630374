//! Answers to a survey: parsing untrusted JSON values against the survey's
//! questions. A response is either valid as a whole or refused with the key
//! of the first offending answer; nothing partial exists.

use crate::survey::{Question, QuestionType, Survey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest free-text answer accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// One validated answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    Score(i32),
    Choice(String),
    Choices(Vec<String>),
    Text(String),
}

impl AnswerValue {
    pub fn score(&self) -> Option<i32> {
        match self {
            AnswerValue::Score(s) => Some(*s),
            _ => None,
        }
    }

    /// A flat text form, for CSV cells and listings.
    pub fn display(&self) -> String {
        match self {
            AnswerValue::Score(s) => s.to_string(),
            AnswerValue::Choice(c) | AnswerValue::Text(c) => c.clone(),
            AnswerValue::Choices(cs) => cs.join("; "),
        }
    }
}

/// Validated answers of one response, keyed by question key.
pub type Answers = BTreeMap<String, AnswerValue>;

/// Why a set of answers was refused; `key` is the question it concerns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnswerError {
    #[error("answers must be a JSON object keyed by question key")]
    NotAnObject,
    #[error("there is no question {key:?} in this survey")]
    UnknownKey { key: String },
    #[error("{key:?} is required")]
    Missing { key: String },
    #[error("{key:?}: {message}")]
    Invalid { key: String, message: String },
    #[error("at least one question must be answered")]
    Empty,
}

impl AnswerError {
    /// The request field at fault.
    pub fn field(&self) -> String {
        match self {
            AnswerError::NotAnObject | AnswerError::Empty => "answers".into(),
            AnswerError::UnknownKey { key } | AnswerError::Missing { key } | AnswerError::Invalid { key, .. } => {
                format!("answers.{key}")
            }
        }
    }

    pub fn key(&self) -> Option<&str> {
        match self {
            AnswerError::UnknownKey { key } | AnswerError::Missing { key } | AnswerError::Invalid { key, .. } => {
                Some(key)
            }
            _ => None,
        }
    }
}

fn as_score(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e9).map(|f| f as i64))
        }
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Checks raw answers against the survey. `null`, `""` and `[]` count as
/// "not answered". Returns only the answered questions.
pub fn validate_answers(survey: &Survey, raw: &serde_json::Value) -> Result<Answers, AnswerError> {
    validate_all(survey, raw).map_err(|mut errors| errors.swap_remove(0))
}

/// Like [`validate_answers`], but reports every problem (for forms that
/// mark each question at fault). The error list is never empty.
pub fn validate_all(survey: &Survey, raw: &serde_json::Value) -> Result<Answers, Vec<AnswerError>> {
    let obj = raw.as_object().ok_or_else(|| vec![AnswerError::NotAnObject])?;
    for key in obj.keys() {
        if survey.question(key).is_none() {
            return Err(vec![AnswerError::UnknownKey { key: key.clone() }]);
        }
    }
    let mut out = Answers::new();
    let mut errors = Vec::new();
    for q in &survey.questions {
        match check_one(q, obj.get(&q.key)) {
            Ok(Some(a)) => {
                out.insert(q.key.clone(), a);
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if out.is_empty() {
        return Err(vec![AnswerError::Empty]);
    }
    Ok(out)
}

fn check_one(q: &Question, raw: Option<&serde_json::Value>) -> Result<Option<AnswerValue>, AnswerError> {
    {
        let invalid = |message: String| AnswerError::Invalid { key: q.key.clone(), message };
        let value = match raw {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
            Some(serde_json::Value::Array(a)) if a.is_empty() => None,
            Some(v) => Some(v),
        };
        let Some(value) = value else {
            if q.required {
                return Err(AnswerError::Missing { key: q.key.clone() });
            }
            return Ok(None);
        };
        let answer = match q.kind {
            QuestionType::Nps | QuestionType::Csat | QuestionType::Ces | QuestionType::Rating => {
                let (min, max) = q.range().unwrap_or((0, 10));
                let s =
                    as_score(value).ok_or_else(|| invalid(format!("must be a whole number from {min} to {max}")))?;
                if s < i64::from(min) || s > i64::from(max) {
                    return Err(invalid(format!("{s} is out of range; use {min} to {max}")));
                }
                AnswerValue::Score(s as i32)
            }
            QuestionType::SingleChoice => {
                let s = value.as_str().ok_or_else(|| invalid("must be one of the options, as a string".into()))?;
                let s = s.trim();
                if !q.options.iter().any(|o| o == s) {
                    return Err(invalid(format!("{s:?} is not one of the options")));
                }
                AnswerValue::Choice(s.to_string())
            }
            QuestionType::MultipleChoice => {
                let items: Vec<&serde_json::Value> = match value {
                    serde_json::Value::Array(a) => a.iter().collect(),
                    v @ serde_json::Value::String(_) => vec![v],
                    _ => return Err(invalid("must be a list of options".into())),
                };
                let mut picked = Vec::new();
                for item in items {
                    let s = item.as_str().ok_or_else(|| invalid("options must be strings".into()))?.trim();
                    if !q.options.iter().any(|o| o == s) {
                        return Err(invalid(format!("{s:?} is not one of the options")));
                    }
                    if !picked.iter().any(|p: &String| p == s) {
                        picked.push(s.to_string());
                    }
                }
                // Keep the survey's option order so exports are stable.
                picked.sort_by_key(|p| q.options.iter().position(|o| o == p));
                AnswerValue::Choices(picked)
            }
            QuestionType::Text => {
                let s = value.as_str().ok_or_else(|| invalid("must be text".into()))?;
                let s = s.trim();
                if s.chars().count() > MAX_TEXT_CHARS {
                    return Err(invalid(format!("is longer than {MAX_TEXT_CHARS} characters")));
                }
                if s.contains('\0') {
                    return Err(invalid("contains a NUL character (U+0000), which cannot be stored".into()));
                }
                AnswerValue::Text(s.to_string())
            }
        };
        Ok(Some(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::SurveyStatus;
    use serde_json::json;

    fn survey() -> Survey {
        let q = |key: &str, kind, required| Question {
            key: key.into(),
            kind,
            text: "?".into(),
            required,
            options: if matches!(kind, QuestionType::SingleChoice | QuestionType::MultipleChoice) {
                vec!["Price".into(), "Support".into(), "Speed".into()]
            } else {
                vec![]
            },
            min: None,
            max: None,
            min_label: None,
            max_label: None,
        };
        Survey {
            id: crate::ids::SurveyId::nil(),
            slug: "s".into(),
            title: "t".into(),
            description: None,
            touchpoint: None,
            thank_you: None,
            status: SurveyStatus::Active,
            questions: vec![
                q("nps", QuestionType::Nps, true),
                q("ces", QuestionType::Ces, false),
                q("pick", QuestionType::SingleChoice, false),
                q("many", QuestionType::MultipleChoice, false),
                q("why", QuestionType::Text, false),
            ],
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_full_response_is_accepted() {
        let a = validate_answers(
            &survey(),
            &json!({"nps": 9, "ces": "6", "pick": "Price", "many": ["Speed", "Price", "Speed"], "why": "  Fast! "}),
        )
        .unwrap();
        assert_eq!(a["nps"], AnswerValue::Score(9));
        assert_eq!(a["ces"], AnswerValue::Score(6));
        assert_eq!(a["many"], AnswerValue::Choices(vec!["Price".into(), "Speed".into()]));
        assert_eq!(a["why"], AnswerValue::Text("Fast!".into()));
    }

    #[test]
    fn scores_out_of_range_name_the_key() {
        let e = validate_answers(&survey(), &json!({"nps": 11})).unwrap_err();
        assert_eq!(e.field(), "answers.nps");
        let e = validate_answers(&survey(), &json!({"nps": 9, "ces": 0})).unwrap_err();
        assert_eq!(e.field(), "answers.ces");
        assert!(validate_answers(&survey(), &json!({"nps": 9.5})).is_err());
        assert!(validate_answers(&survey(), &json!({"nps": true})).is_err());
    }

    #[test]
    fn missing_required_and_unknown_keys_are_refused() {
        assert_eq!(
            validate_answers(&survey(), &json!({"why": "x"})).unwrap_err(),
            AnswerError::Missing { key: "nps".into() }
        );
        assert_eq!(
            validate_answers(&survey(), &json!({"nps": 1, "zzz": 1})).unwrap_err(),
            AnswerError::UnknownKey { key: "zzz".into() }
        );
        assert_eq!(validate_answers(&survey(), &json!([1])).unwrap_err(), AnswerError::NotAnObject);
    }

    #[test]
    fn choices_must_be_listed_options() {
        assert!(validate_answers(&survey(), &json!({"nps": 1, "pick": "Nope"})).is_err());
        assert!(validate_answers(&survey(), &json!({"nps": 1, "many": ["Price", 3]})).is_err());
    }

    #[test]
    fn blank_optional_answers_are_dropped() {
        let a = validate_answers(&survey(), &json!({"nps": 0, "why": "   ", "many": [], "ces": null})).unwrap();
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn all_problems_are_reported_together() {
        let errors = validate_all(&survey(), &json!({"ces": 9, "pick": "Nope"})).unwrap_err();
        let fields: Vec<String> = errors.iter().map(AnswerError::field).collect();
        assert_eq!(fields, vec!["answers.nps", "answers.ces", "answers.pick"]);
    }

    #[test]
    fn overlong_text_is_refused() {
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert!(validate_answers(&survey(), &json!({"nps": 0, "why": long})).is_err());
    }
}
