//! Feedback gathered elsewhere (interview and focus-group notes, social
//! posts, app-store and product reviews) imported from CSV or JSON into a
//! survey: each item becomes a response whose free text goes to the
//! survey's first text question and whose rating, if any, to its headline
//! scored question, so it flows into the same KPIs, text analytics and
//! dashboards. The response's channel is the source ("app-store",
//! "interview" …) and its context keeps the source, the author and the
//! item's id in its system. Shared by the CLI, the API and the browser;
//! nothing is written here.

use crate::kernel::customer_import::{FileError, RowError};
use crate::platform::error::AppError;
use crate::state::AppState;
use cxloop_core::answer::validate_answers;
use cxloop_core::period::parse_date;
use cxloop_core::{QuestionType, Survey};
use cxloop_store::{CustomerRef, NewResponse};
use serde_json::{Map, Value};
use std::collections::HashMap;
use time::OffsetDateTime;

/// What a column can be imported as.
pub const TARGETS: &[&str] =
    &["text", "date", "rating", "customer", "author", "touchpoint", "source", "source_id", "ignore"];

/// What a file would import.
#[derive(Debug, Clone, Default)]
pub struct FeedbackPlan {
    /// Valid items with their line (CSV) or item number (JSON).
    pub items: Vec<(u64, NewResponse)>,
    pub errors: Vec<RowError>,
    pub rows: u64,
    /// Column → target.
    pub mapping: Vec<(String, String)>,
    /// Rows whose `source_id` the survey already holds for their source
    /// (line or item, source id): left out, not errors, so a file can be
    /// imported again safely.
    pub already_imported: Vec<(u64, String)>,
}

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// From a file name or a content type; CSV unless it says JSON.
    pub fn guess(name_or_type: &str) -> Format {
        let s = name_or_type.to_ascii_lowercase();
        if s.ends_with(".json") || s.contains("json") { Format::Json } else { Format::Csv }
    }
}

/// A source label: 1–40 characters of a–z, 0–9 and "-" (it becomes the channel).
pub fn check_source(source: &str) -> Result<String, FileError> {
    let s = source.trim().to_lowercase();
    if s.is_empty()
        || s.chars().count() > 40
        || !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(FileError(format!(
            "source {source:?} must be 1–40 characters of a–z, 0–9 and -, such as app-store or interview"
        )));
    }
    Ok(s)
}

fn target_for(header: &str, explicit: &HashMap<String, String>) -> Option<String> {
    let h = header.trim();
    if let Some(t) = explicit.get(h) {
        return Some(t.clone());
    }
    let t = match h.to_lowercase().replace([' ', '-'], "_").as_str() {
        "text" | "comment" | "body" | "review" | "content" | "note" | "notes" | "message" | "feedback" | "post" => {
            "text"
        }
        "date" | "created" | "created_at" | "posted_at" | "submitted_at" | "time" | "timestamp" => "date",
        "rating" | "stars" | "score" => "rating",
        "customer" | "customer_id" | "external_id" => "customer",
        "author" | "user" | "username" | "reviewer" | "interviewer" => "author",
        "touchpoint" | "stage" => "touchpoint",
        "source" | "platform" | "channel" | "site" => "source",
        "id" | "source_id" | "review_id" | "post_id" => "source_id",
        _ => return None,
    };
    Some(t.to_string())
}

/// Rows of a file as (line or item number, values) under one header.
type Rows = (Vec<String>, Vec<Result<(u64, Vec<String>), RowError>>, bool);

fn csv_rows(text: &str) -> Result<Rows, FileError> {
    crate::kernel::customer_import::check_quotes(text)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| FileError(format!("line 1: cannot read the header row: {e}")))?.clone();
    if headers.is_empty() || headers.iter().all(|h| h.trim().is_empty()) {
        return Err(FileError("line 1: the file has no header row".into()));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        rows.push(match record {
            Ok(r) => Ok((r.position().map_or(i as u64 + 2, |p| p.line()), r.iter().map(str::to_string).collect())),
            Err(e) => {
                let line = e.position().map_or(i as u64 + 2, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("has {len} fields but the header has {expected_len}")
                    }
                    _ => format!("cannot read this row ({e}); check its quotes"),
                };
                Err(RowError { line, column: None, message, item: false })
            }
        });
    }
    Ok((headers.iter().map(str::to_string).collect(), rows, false))
}

fn json_rows(text: &str) -> Result<Rows, FileError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| FileError(format!("line {}, column {}: not valid JSON: {e}", e.line(), e.column())))?;
    let items = match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("items") {
            Some(Value::Array(a)) => a,
            _ => return Err(FileError("a JSON file must be an array of objects, or {\"items\": [...]}".into())),
        },
        _ => return Err(FileError("a JSON file must be an array of objects, or {\"items\": [...]}".into())),
    };
    let mut headers: Vec<String> = Vec::new();
    for item in &items {
        if let Value::Object(o) = item {
            for k in o.keys() {
                if !headers.contains(k) {
                    headers.push(k.clone());
                }
            }
        }
    }
    if headers.is_empty() {
        return Err(FileError("the JSON file has no items with fields".into()));
    }
    let rows = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let n = i as u64 + 1;
            let Value::Object(o) = item else {
                return Err(RowError { line: n, column: None, message: "is not an object".into(), item: true });
            };
            let cell = |v: Option<&Value>| match v {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) if s.contains('\0') => Err("contains a NUL character, which cannot be stored"),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(Value::Number(x)) => Ok(x.to_string()),
                Some(Value::Bool(b)) => Ok(b.to_string()),
                Some(_) => Err("must be text, a number or a boolean"),
            };
            let mut values = Vec::with_capacity(headers.len());
            for h in &headers {
                match cell(o.get(h)) {
                    Ok(v) => values.push(v),
                    Err(message) => {
                        return Err(RowError { line: n, column: Some(h.clone()), message: message.into(), item: true });
                    }
                }
            }
            Ok((n, values))
        })
        .collect();
    Ok((headers, rows, true))
}

fn parse_when(v: &str) -> Result<OffsetDateTime, String> {
    if v.contains('T') || v.contains('t') {
        return cxloop_core::period::parse_timestamp(v, "date").map_err(|e| e.to_string());
    }
    parse_date(v, "date")
        .map(|d| d.with_hms(12, 0, 0).map_or_else(|_| d.midnight().assume_utc(), |t| t.assume_utc()))
        .map_err(|_| "must be a date (YYYY-MM-DD) or an RFC 3339 time".to_string())
}

/// The file's columns with the target each maps to by its name (`ignore`
/// when its name says nothing), for a first preview the person then adjusts.
pub fn suggested_mapping(bytes: &[u8], format: Format) -> Result<HashMap<String, String>, FileError> {
    let text = crate::kernel::customer_import::decode_text(bytes)?;
    let (headers, _, _) = match format {
        Format::Csv => csv_rows(&text)?,
        Format::Json => json_rows(&text)?,
    };
    Ok(headers
        .into_iter()
        .map(|h| (h.clone(), target_for(&h, &HashMap::new()).unwrap_or_else(|| "ignore".into())))
        .collect())
}

/// Reads and checks a feedback file for `survey`; every bad row is reported
/// by line (CSV) or item (JSON) and column. `now` bounds dates (no future).
pub fn plan(
    bytes: &[u8],
    format: Format,
    survey: &Survey,
    source: &str,
    explicit: &HashMap<String, String>,
    now: OffsetDateTime,
) -> Result<FeedbackPlan, FileError> {
    let source = check_source(source)?;
    let text_q = survey.questions.iter().find(|q| q.kind == QuestionType::Text).ok_or_else(|| {
        FileError(format!("the survey {:?} has no free-text question to hold the feedback", survey.title))
    })?;
    let rating_q = survey.headline_question();
    let text = crate::kernel::customer_import::decode_text(bytes)?;
    let (headers, rows, item) = match format {
        Format::Csv => csv_rows(&text)?,
        Format::Json => json_rows(&text)?,
    };
    let at = |n: u64| if item { format!("item {n}") } else { format!("line {n}") };
    let mut plan = FeedbackPlan::default();
    let mut columns: Vec<Option<String>> = Vec::new();
    for h in &headers {
        let t = target_for(h, explicit).ok_or_else(|| {
            FileError(format!("{}, column {h:?}: not one of {}; map it or use ignore", at(1), TARGETS.join(", ")))
        })?;
        if !TARGETS.contains(&t.as_str()) {
            return Err(FileError(format!("column {h:?}: {t:?} is not one of {}", TARGETS.join(", "))));
        }
        if t != "ignore" && plan.mapping.iter().any(|(_, x)| x == &t) {
            return Err(FileError(format!("column {h:?}: two columns map to {t:?}")));
        }
        if t == "rating" && rating_q.is_none() {
            return Err(FileError(format!("column {h:?}: the survey has no scored question for a rating")));
        }
        plan.mapping.push((h.clone(), t.clone()));
        columns.push((t != "ignore").then_some(t));
    }
    if !columns.iter().any(|c| c.as_deref() == Some("text")) {
        return Err(FileError("no text column: map one with text".into()));
    }
    let header_of = |t: &str| plan.mapping.iter().find(|(_, x)| x == t).map(|(h, _)| h.clone());
    let mut seen_ids: HashMap<(String, String), u64> = HashMap::new();
    for row in rows {
        plan.rows += 1;
        let (n, values) = match row {
            Ok(r) => r,
            Err(e) => {
                plan.errors.push(e);
                continue;
            }
        };
        let mut fields: HashMap<&str, String> = HashMap::new();
        for (v, t) in values.iter().zip(&columns) {
            if let Some(t) = t {
                fields.insert(t.as_str(), v.trim().to_string());
            }
        }
        let get = |t: &str| fields.get(t).map(String::as_str).filter(|s| !s.is_empty());
        let err = |t: &str, message: String| RowError { line: n, column: header_of(t), message, item };
        let Some(body) = get("text") else {
            plan.errors.push(err("text", "is empty".into()));
            continue;
        };
        let mut answers = Map::new();
        answers.insert(text_q.key.clone(), Value::String(body.to_string()));
        if let (Some(r), Some(q)) = (get("rating"), rating_q) {
            let score =
                r.parse::<i64>().ok().or_else(|| r.parse::<f64>().ok().filter(|f| f.fract() == 0.0).map(|f| f as i64));
            match score {
                Some(s) => {
                    answers.insert(q.key.clone(), Value::from(s));
                }
                None => {
                    plan.errors.push(err("rating", format!("{r:?} is not a whole number")));
                    continue;
                }
            }
        }
        let submitted_at = match get("date").map(parse_when) {
            None => now,
            Some(Ok(t)) if t > now + time::Duration::minutes(5) => {
                plan.errors.push(err("date", "is in the future".into()));
                continue;
            }
            Some(Ok(t)) => t,
            Some(Err(m)) => {
                plan.errors.push(err("date", m));
                continue;
            }
        };
        let answers = match validate_answers(survey, &Value::Object(answers)) {
            Ok(a) => a,
            Err(e) => {
                let column = if e.to_string().contains(&text_q.key) { "text" } else { "rating" };
                plan.errors.push(err(column, e.to_string()));
                continue;
            }
        };
        let customer = match get("customer") {
            Some(c) if c.chars().count() > 200 => {
                plan.errors.push(err("customer", "is longer than 200 characters".into()));
                continue;
            }
            Some(c) => {
                Some(CustomerRef { external_id: c.to_string(), name: None, email: None, attributes: Map::new() })
            }
            None => None,
        };
        // A source column (a social export's platform, say) overrides the file's source row by row.
        let row_source = match get("source").map(check_source) {
            None => source.clone(),
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                plan.errors.push(err("source", e.0));
                continue;
            }
        };
        if let Some(sid) = get("source_id") {
            if sid.chars().count() > 200 {
                plan.errors.push(err("source_id", "is longer than 200 characters".into()));
                continue;
            }
            if let Some(first) = seen_ids.insert((row_source.clone(), sid.to_string()), n) {
                let at = if item { "item" } else { "line" };
                plan.errors.push(err("source_id", format!("{sid:?} already appears on {at} {first}")));
                continue;
            }
        }
        let mut context = Map::new();
        context.insert("source".into(), Value::String(row_source.clone()));
        if let Some(v) = get("author") {
            context.insert("author".into(), Value::String(v.chars().take(200).collect()));
        }
        if let Some(v) = get("source_id") {
            context.insert("source_id".into(), Value::String(v.to_string()));
        }
        plan.items.push((
            n,
            NewResponse {
                id: cxloop_core::ids::ResponseId::new(),
                survey: survey.clone(),
                customer,
                submitted_at,
                channel: row_source,
                answers,
                touchpoint: get("touchpoint").map(|t| t.chars().take(200).collect()),
                context: Some(context),
            },
        ));
    }
    Ok(plan)
}

/// Moves the items the survey already holds (same source and `source_id`)
/// out of `plan.items` into `plan.already_imported`.
pub async fn skip_imported(
    store: &dyn cxloop_store::Store,
    survey: &Survey,
    plan: &mut FeedbackPlan,
) -> Result<(), cxloop_store::StoreError> {
    let mut by_source: HashMap<String, Vec<String>> = HashMap::new();
    for (_, r) in &plan.items {
        if let Some(sid) = r.context.as_ref().and_then(|c| c.get("source_id")).and_then(Value::as_str) {
            by_source.entry(r.channel.clone()).or_default().push(sid.to_string());
        }
    }
    let mut known: HashMap<String, std::collections::HashSet<String>> = HashMap::new();
    for (source, ids) in by_source {
        known.insert(source.clone(), store.existing_source_refs(survey.id, &source, &ids).await?);
    }
    let items = std::mem::take(&mut plan.items);
    for (n, r) in items {
        let sid = r.context.as_ref().and_then(|c| c.get("source_id")).and_then(Value::as_str).map(str::to_string);
        match sid {
            Some(sid) if known.get(&r.channel).is_some_and(|k| k.contains(&sid)) => {
                plan.already_imported.push((n, sid))
            }
            _ => plan.items.push((n, r)),
        }
    }
    Ok(())
}

/// Writes the plan's valid items unless it is a dry run, or all-or-nothing
/// with problems. Returns how many were written.
pub async fn apply(state: &AppState, p: &FeedbackPlan, all_or_nothing: bool, dry_run: bool) -> Result<usize, AppError> {
    if dry_run || (all_or_nothing && !p.errors.is_empty()) || p.items.is_empty() {
        return Ok(0);
    }
    let items: Vec<cxloop_store::NewResponse> = p.items.iter().map(|(_, r)| r.clone()).collect();
    state.store.insert_responses(&items).await.map_err(|e| match e {
        cxloop_store::StoreError::Conflict { .. } => AppError::Conflict {
            field: Some("source_id".into()),
            message: "some of these items were imported meanwhile; import the file again".into(),
        },
        other => other.into(),
    })?;
    Ok(items.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cxloop_core::Question;

    fn survey() -> Survey {
        let mut rating = Question::new("stars", QuestionType::Rating, "Stars");
        rating.min = Some(1);
        rating.max = Some(5);
        Survey {
            id: cxloop_core::ids::SurveyId::new(),
            slug: "reviews".into(),
            title: "Product reviews".into(),
            description: None,
            touchpoint: Some("app store".into()),
            thank_you: None,
            status: cxloop_core::SurveyStatus::Active,
            questions: vec![rating, Question::new("review", QuestionType::Text, "Review")],
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-06-01 0:00 UTC)
    }

    #[test]
    fn a_review_file_becomes_responses_marked_by_source() {
        let csv = "Review,Stars,Date,Author,Review ID,Touchpoint\n\"Great app, fast\",5,2026-05-02,kim,r1,checkout\nCrashes on login,1.0,2026-05-03T08:00:00Z,,r2,\n";
        let p = plan(csv.as_bytes(), Format::Csv, &survey(), "App-Store", &HashMap::new(), now()).unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let (line, r) = &p.items[0];
        assert_eq!(*line, 2);
        assert_eq!(r.channel, "app-store");
        assert_eq!(r.answers["stars"].score(), Some(5));
        assert_eq!(r.submitted_at, time::macros::datetime!(2026-05-02 12:00 UTC));
        assert_eq!(r.touchpoint.as_deref(), Some("checkout"));
        let ctx = r.context.as_ref().unwrap();
        assert_eq!(
            (ctx["source"].as_str(), ctx["author"].as_str(), ctx["source_id"].as_str()),
            (Some("app-store"), Some("kim"), Some("r1"))
        );
        assert_eq!(p.items[1].1.answers["stars"].score(), Some(1));
        assert_eq!(p.items[1].1.touchpoint, None, "the survey's touchpoint applies");
    }

    #[test]
    fn bad_rows_name_their_line_or_item_and_column() {
        let csv =
            "text,rating,date\n,3,2026-01-01\nok,9,2026-01-01\nok,three,\nok,2,yesterday\nok,2,2027-01-01\nok,2\n";
        let p = plan(csv.as_bytes(), Format::Csv, &survey(), "review", &HashMap::new(), now()).unwrap();
        let errs: Vec<String> = p.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errs.len(), 6, "{errs:?}");
        assert!(errs[0].starts_with("line 2, column \"text\": is empty"), "{errs:?}");
        assert!(errs[1].starts_with("line 3, column \"rating\""), "{errs:?}");
        assert!(errs[2].starts_with("line 4, column \"rating\""), "{errs:?}");
        assert!(errs[3].starts_with("line 5, column \"date\""), "{errs:?}");
        assert!(errs[4].starts_with("line 6, column \"date\": is in the future"), "{errs:?}");
        assert!(errs[5].starts_with("line 7:") && errs[5].contains("fields"), "{errs:?}");
        let json = r#"[{"note": "Clear onboarding", "customer": "c1"}, {"note": ""}, 5, {"note": {"a": 1}}]"#;
        let p = plan(json.as_bytes(), Format::Json, &survey(), "interview", &HashMap::new(), now()).unwrap();
        let errs: Vec<String> = p.errors.iter().map(ToString::to_string).collect();
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].1.customer.as_ref().unwrap().external_id, "c1");
        assert_eq!(p.items[0].1.submitted_at, now(), "no date: imported now");
        assert!(errs[0].starts_with("item 2, column \"note\": is empty"), "{errs:?}");
        assert!(errs[1].starts_with("item 3: is not an object"), "{errs:?}");
        assert!(errs[2].starts_with("item 4, column \"note\""), "{errs:?}");
    }

    #[test]
    fn a_source_id_appears_once_per_source_in_a_file() {
        let csv = "text,id,platform\na,1,x\nb,1,y\nc,1,x\n";
        let p = plan(csv.as_bytes(), Format::Csv, &survey(), "social", &HashMap::new(), now()).unwrap();
        assert_eq!(p.items.len(), 2, "the same id under two sources is two items");
        assert!(
            p.errors[0].to_string().starts_with("line 4, column \"id\": \"1\" already appears on line 2"),
            "{:?}",
            p.errors
        );
    }

    #[test]
    fn a_source_column_marks_each_row() {
        let csv = "post,platform\nLove the new export,LinkedIn\nDown again?,Mastodon\nHmm,my site!\nPlain,\n";
        let p = plan(csv.as_bytes(), Format::Csv, &survey(), "social", &HashMap::new(), now()).unwrap();
        let channels: Vec<&str> = p.items.iter().map(|(_, r)| r.channel.as_str()).collect();
        assert_eq!(channels, vec!["linkedin", "mastodon", "social"]);
        assert!(p.errors[0].to_string().starts_with("line 4, column \"platform\""), "{:?}", p.errors);
    }

    #[test]
    fn broken_files_are_refused_whole() {
        let s = survey();
        let none = HashMap::new();
        let p = |b: &[u8], f| plan(b, f, &s, "review", &none, now());
        assert!(p(b"text\n\xff\n", Format::Csv).unwrap_err().0.contains("UTF-8"));
        assert!(p(b"stars,colour\n1,red\n", Format::Csv).unwrap_err().0.contains("colour"));
        assert!(p(b"stars\n1\n", Format::Csv).unwrap_err().0.contains("no text column"));
        assert!(p(b"[1, 2", Format::Json).unwrap_err().0.contains("not valid JSON"));
        assert!(p(b"{\"a\": 1}", Format::Json).unwrap_err().0.contains("array of objects"));
        assert!(plan(b"text\nx\n", Format::Csv, &s, "bad source!", &none, now()).unwrap_err().0.contains("source"));
        let mapped = HashMap::from([("colour".to_string(), "ignore".to_string())]);
        assert_eq!(plan(b"text,colour\nx,red\n", Format::Csv, &s, "review", &mapped, now()).unwrap().items.len(), 1);
        let quote = p(b"text,stars\n\"unbalanced,3\nnext,4\n", Format::Csv).unwrap_err();
        assert!(quote.0.starts_with("line 2:"), "an unbalanced quote is an error by the line it opens on: {quote:?}");
        assert_eq!(Format::guess("notes.JSON"), Format::Json);
        assert_eq!(Format::guess("text/csv"), Format::Csv);
    }
}
