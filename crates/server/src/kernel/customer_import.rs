//! Customer CSV import, shared by the CLI and the API: the file is read as
//! UTF-8 CSV with a header row; columns map to external_id, name, email and
//! defined attributes (by key or label, or an explicit mapping); every row is
//! validated like an API upsert, and every problem is reported with its line
//! and column. Nothing is written here: callers choose all-or-nothing or
//! valid-rows-only.

use crate::kernel::customers::{CustomerInput, check_customer};
use cxloop_core::customer::AttributeDef;
use cxloop_store::CustomerRef;
use serde::Serialize;
use std::collections::HashMap;

/// A problem in the file, by 1-based line (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// The line of a CSV file, or the 1-based item of a JSON array.
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
    /// `line` counts JSON items, not lines (sent only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(required = false)]
    pub item: bool,
}

/// What a column of an imported file was read as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MappedColumn {
    /// The column's header.
    pub column: String,
    /// What it maps to (a field, an attribute key, or `ignore`).
    pub target: String,
}

/// The mapping of a plan as the import reports answer it.
pub fn mapped(mapping: &[(String, String)]) -> Vec<MappedColumn> {
    mapping.iter().map(|(h, t)| MappedColumn { column: h.clone(), target: t.clone() }).collect()
}

/// `HEADER:TARGET;HEADER:TARGET` as a map; a malformed pair names `map`.
pub fn parse_map(map: Option<&str>) -> Result<HashMap<String, String>, crate::platform::error::AppError> {
    let mut explicit = HashMap::new();
    for pair in map.unwrap_or("").split(';').filter(|p| !p.trim().is_empty()) {
        let (h, t) = pair
            .split_once(':')
            .ok_or_else(|| crate::platform::error::AppError::invalid("map", format!("{pair:?}: use HEADER:TARGET")))?;
        explicit.insert(h.trim().to_string(), t.trim().to_string());
    }
    Ok(explicit)
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.item { "item" } else { "line" };
        match &self.column {
            Some(c) => write!(f, "{at} {}, column {c:?}: {}", self.line, self.message),
            None => write!(f, "{at} {}: {}", self.line, self.message),
        }
    }
}

/// What a file would import.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Valid rows, with their line numbers.
    pub customers: Vec<(u64, CustomerRef)>,
    pub errors: Vec<RowError>,
    pub rows: u64,
    /// Header → what it maps to (`external_id`, `name`, `email`, an attribute key, or `ignore`).
    pub mapping: Vec<(String, String)>,
}

/// A fatal problem with the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

fn target_for(header: &str, defs: &[AttributeDef], explicit: &HashMap<String, String>) -> Option<String> {
    let h = header.trim();
    if let Some(t) = explicit.get(h) {
        return Some(t.clone());
    }
    let norm = h.to_lowercase().replace([' ', '-'], "_");
    match norm.as_str() {
        "external_id" | "id" | "customer_id" => return Some("external_id".into()),
        "name" | "company" => return Some("name".into()),
        "email" | "e_mail" => return Some("email".into()),
        _ => {}
    }
    defs.iter().find(|d| d.key == norm || d.label.eq_ignore_ascii_case(h)).map(|d| d.key.clone())
}

/// An uploaded file as text: UTF-8 (else the line that is not), without a
/// byte-order mark, with no NUL character (no database text column takes
/// one), and with Windows line ends made plain so that every reported line
/// number is the line an editor shows.
pub fn decode_text(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, FileError> {
    let line_at = |at: usize| bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
    let text = std::str::from_utf8(bytes).map_err(|e| {
        FileError(format!("line {}: the file is not UTF-8 text; save it as UTF-8", line_at(e.valid_up_to())))
    })?;
    if let Some(at) = text.find('\0') {
        return Err(FileError(format!(
            "line {}: the file contains a NUL character; it is not a text file",
            line_at(at)
        )));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    })
}

/// The line where a quoted CSV value opens and never closes: without this
/// check the reader takes every row after it as part of that one value and
/// reports nothing, or a wrong row count at the end of the file.
pub fn unclosed_quote(text: &str) -> Option<u64> {
    #[derive(Clone, Copy)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut at, mut line, mut opened) = (At::FieldStart, 1u64, 1u64);
    for c in text.chars() {
        at = match (at, c) {
            (At::FieldStart, '"') => {
                opened = line;
                At::Quoted
            }
            (At::Quoted, '"') => At::QuoteInQuoted,
            (At::Quoted, _) => At::Quoted,
            (At::QuoteInQuoted, '"') => At::Quoted,
            (_, ',' | '\n') => At::FieldStart,
            _ => At::Unquoted,
        };
        if c == '\n' {
            line += 1;
        }
    }
    matches!(at, At::Quoted).then_some(opened)
}

/// The file error for [`unclosed_quote`].
pub fn check_quotes(text: &str) -> Result<(), FileError> {
    match unclosed_quote(text) {
        Some(line) => Err(FileError(format!(
            "line {line}: a quoted value starts here and its closing quote (\") is missing, so every row after it would be read as part of it; close the quote, or double any quote inside the value (\"\")"
        ))),
        None => Ok(()),
    }
}

/// Reads and validates a customers CSV. `explicit` maps header names to
/// targets (`ignore` drops a column).
pub fn plan(bytes: &[u8], defs: &[AttributeDef], explicit: &HashMap<String, String>) -> Result<Plan, FileError> {
    let text = decode_text(bytes)?;
    check_quotes(&text)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| FileError(format!("line 1: cannot read the header row: {e}")))?.clone();
    if headers.is_empty() {
        return Err(FileError("line 1: the file has no header row".into()));
    }
    let mut plan = Plan::default();
    let mut columns: Vec<Option<String>> = Vec::new();
    for h in headers.iter() {
        match target_for(h, defs, explicit) {
            Some(t) if t == "ignore" => {
                plan.mapping.push((h.to_string(), t));
                columns.push(None);
            }
            Some(t) => {
                if t != "external_id" && t != "name" && t != "email" && !defs.iter().any(|d| d.key == t) {
                    return Err(FileError(format!("line 1, column {h:?}: {t:?} is not a defined attribute")));
                }
                if plan.mapping.iter().any(|(_, x)| x == &t) {
                    return Err(FileError(format!("line 1, column {h:?}: two columns map to {t:?}")));
                }
                plan.mapping.push((h.to_string(), t.clone()));
                columns.push(Some(t));
            }
            None => {
                return Err(FileError(format!(
                    "line 1, column {h:?}: not external_id, name, email or a defined attribute; map it or use ignore"
                )));
            }
        }
    }
    if !columns.iter().any(|c| c.as_deref() == Some("external_id")) {
        return Err(FileError("line 1: no external_id column".into()));
    }
    let defs_by_key: HashMap<String, AttributeDef> = defs.iter().map(|d| (d.key.clone(), d.clone())).collect();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("has {len} fields but the header has {expected_len}")
                    }
                    _ => format!("cannot read this row ({e}); check its quotes"),
                };
                plan.errors.push(RowError { line, column: None, message, item: false });
                plan.rows += 1;
                continue;
            }
        };
        plan.rows += 1;
        let line = record.position().map_or(plan.rows + 1, |p| p.line());
        let mut input =
            CustomerInput { external_id: None, name: None, email: None, attributes: serde_json::Map::new() };
        for (value, target) in record.iter().zip(&columns) {
            let Some(t) = target else { continue };
            let v = value.trim();
            match t.as_str() {
                "external_id" => input.external_id = Some(v.to_string()),
                "name" => input.name = Some(v.to_string()).filter(|s| !s.is_empty()),
                "email" => input.email = Some(v.to_string()).filter(|s| !s.is_empty()),
                key if !v.is_empty() => {
                    input.attributes.insert(key.to_string(), serde_json::Value::String(v.to_string()));
                }
                _ => {}
            }
        }
        let id = input.external_id.clone().unwrap_or_default();
        // A repeated id is an error even when its first row was invalid.
        if !id.trim().is_empty()
            && let Some(first) = seen.insert(id.trim().to_string(), line)
        {
            plan.errors.push(RowError {
                line,
                column: Some("external_id".into()),
                message: format!("{:?} already appears on line {first}", id.trim()),
                item: false,
            });
            continue;
        }
        match check_customer(&input, &id, &defs_by_key, "") {
            Ok(c) => plan.customers.push((line, c)),
            Err(e) => {
                let field = e.field().unwrap_or("").to_string();
                let column = field.strip_prefix("attributes.").unwrap_or(&field).to_string();
                let header = plan.mapping.iter().find(|(_, t)| *t == column).map_or(column.clone(), |(h, _)| h.clone());
                plan.errors.push(RowError { line, column: Some(header), message: e.public_message(), item: false });
            }
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cxloop_core::customer::AttrType;

    fn defs() -> Vec<AttributeDef> {
        vec![
            AttributeDef {
                key: "plan".into(),
                label: "Plan".into(),
                kind: AttrType::OneOf { options: vec!["starter".into(), "pro".into()] },
            },
            AttributeDef { key: "seats".into(), label: "Seats".into(), kind: AttrType::Number },
        ]
    }

    #[test]
    fn a_clean_file_maps_headers_by_key_or_label() {
        let p = plan(
            b"\xef\xbb\xbfExternal ID,Company,Plan,seats\nc1,Acme,Pro,10\nc2,\"Tiny, Inc\",starter,\n",
            &defs(),
            &HashMap::new(),
        )
        .unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows, 2);
        assert_eq!(p.customers[1].1.name.as_deref(), Some("Tiny, Inc"));
        assert_eq!(p.customers[0].1.attributes["plan"], "pro");
    }

    #[test]
    fn row_errors_name_line_and_column() {
        let csv = "external_id,plan,seats,email\nc1,pro,many,\nc2,gold,3,\nc3,pro,3,not-an-email\nc1,pro,1,\nc4,pro\n";
        let p = plan(csv.as_bytes(), &defs(), &HashMap::new()).unwrap();
        let errs: Vec<String> = p.errors.iter().map(ToString::to_string).collect();
        assert!(errs[0].starts_with("line 2, column \"seats\""), "{errs:?}");
        assert!(errs[1].starts_with("line 3, column \"plan\""), "{errs:?}");
        assert!(errs[2].starts_with("line 4, column \"email\""), "{errs:?}");
        assert!(errs[3].contains("already appears on line 2"), "{errs:?}");
        assert!(errs[4].starts_with("line 6:") && errs[4].contains("fields"), "{errs:?}");
        assert_eq!(p.customers.len(), 0, "every row has a problem");
    }

    #[test]
    fn an_unclosed_quote_is_reported_by_the_line_it_opens_on() {
        let csv = "external_id,name\nc1,Ada\nc2,\"Grace\nc3,Alan\nc4,Edsger\n";
        assert_eq!(unclosed_quote(csv), Some(3));
        let err = plan(csv.as_bytes(), &[], &HashMap::new()).err().unwrap().to_string();
        assert!(err.starts_with("line 3:") && err.contains("closing quote"), "{err}");
        // Closed quotes, doubled quotes, quotes inside unquoted text and
        // values over several lines are all fine.
        for ok in [
            "a,b\n\"x, y\",2\n",
            "a,b\n\"say \"\"hi\"\"\",2\n",
            "a,b\n5\" screen,2\n",
            "a,b\n\"two\nlines\",2\n",
            "a,b\n\"\",\"\"\n",
        ] {
            assert_eq!(unclosed_quote(ok), None, "{ok:?}");
        }
        assert_eq!(unclosed_quote("a\n\"\"\"\n"), Some(2), "an escaped quote does not close");
    }

    #[test]
    fn windows_line_ends_report_the_lines_an_editor_shows() {
        let lf = "external_id,plan,seats,email\nc1,pro,many,\nc2,gold,3,\nc3,pro,3,not-an-email\nc1,pro,1,\nc4,pro\n";
        let crlf = lf.replace('\n', "\r\n");
        let lines = |csv: &str| {
            plan(csv.as_bytes(), &defs(), &HashMap::new()).unwrap().errors.iter().map(|e| e.line).collect::<Vec<_>>()
        };
        assert_eq!(lines(&crlf), vec![2, 3, 4, 5, 6]);
        assert_eq!(lines(&crlf), lines(lf));
    }

    #[test]
    fn a_nul_character_is_refused_by_line() {
        let e = plan(b"external_id,plan\nc1,pro\nc2,p\0ro\n", &defs(), &HashMap::new()).unwrap_err();
        assert!(e.0.starts_with("line 3:") && e.0.contains("NUL"), "{}", e.0);
    }

    #[test]
    fn broken_files_are_refused_whole() {
        assert!(plan(b"external_id,plan\nc1,\xff\xfe\n", &defs(), &HashMap::new()).unwrap_err().0.contains("UTF-8"));
        assert!(plan(b"name,plan\nA,pro\n", &defs(), &HashMap::new()).unwrap_err().0.contains("no external_id"));
        assert!(plan(b"external_id,colour\nc1,red\n", &defs(), &HashMap::new()).unwrap_err().0.contains("colour"));
        let ignore = HashMap::from([("colour".to_string(), "ignore".to_string())]);
        assert_eq!(plan(b"external_id,colour\nc1,red\n", &defs(), &ignore).unwrap().customers.len(), 1);
        let e = plan(b"external_id,plan\nc1,\"pro\nc2,pro\n", &defs(), &HashMap::new()).unwrap_err();
        assert!(e.0.starts_with("line 2:"), "an unbalanced quote is an error by line, not a silent merge: {e:?}");
    }
}
