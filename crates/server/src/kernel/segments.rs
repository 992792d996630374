//! Segments, a kernel module every feature may use: the expression a
//! segment is written in, checked against the defined attributes, and its
//! members. Membership is evaluated here (over customer facts, a page at a
//! time) and nowhere else, so it can move into SQL without touching the
//! pages and handlers that ask for it.

use crate::platform::error::AppError;
use crate::state::AppState;
use cxloop_core::customer::AttributeDef;
use cxloop_core::segment::{self, Expr, Value as SegValue};
use cxloop_store::{CustomerFacts, StoreError};
use serde_json::Value;

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("segment"),
        other => other.into(),
    }
}

/// The value a segment expression sees for `field` of a customer.
pub fn fact(f: &CustomerFacts, field: &str) -> Option<SegValue> {
    let num = |n: Option<i32>| n.map(|n| SegValue::Number(f64::from(n)));
    match field {
        "external_id" => Some(SegValue::Text(f.customer.external_id.clone())),
        "name" => f.customer.name.clone().map(SegValue::Text),
        "email" => f.customer.email.clone().map(SegValue::Text),
        "stage" => f.stage.clone().map(SegValue::Text),
        "responses" => Some(SegValue::Number(f.responses as f64)),
        "last_nps" => num(f.last_nps),
        "last_csat" => num(f.last_csat),
        "last_ces" => num(f.last_ces),
        "last_response_at" => f.last_response_at.map(|t| SegValue::Text(cxloop_core::period::fmt_date(t.date()))),
        key => match f.customer.attributes.get(key)? {
            Value::String(s) => Some(SegValue::Text(s.clone())),
            Value::Number(n) => n.as_f64().map(SegValue::Number),
            Value::Bool(b) => Some(SegValue::Bool(*b)),
            _ => None,
        },
    }
}

/// Parses a segment expression and checks it names only known fields.
pub fn parse_segment(expression: &str, defs: &[AttributeDef]) -> Result<Expr, AppError> {
    let e = segment::parse(expression).map_err(|e| AppError::invalid("expression", e.to_string()))?;
    for f in e.fields() {
        if !cxloop_core::customer::RESERVED.contains(&f) && !defs.iter().any(|d| d.key == f) {
            return Err(AppError::invalid("expression", format!("{f:?} is not a customer field or defined attribute")));
        }
    }
    Ok(e)
}

/// Customers matching `expr` (all when `None`), in external id order, after
/// a cursor: up to `limit` of them, and how many match in all. Without an
/// expression the walk stops at `limit` (callers count with `count_customers`).
pub async fn matching(
    state: &AppState,
    expr: Option<&Expr>,
    after: Option<String>,
    limit: usize,
) -> Result<(Vec<CustomerFacts>, u64), AppError> {
    let mut out = Vec::new();
    let mut cursor = after;
    let mut matched = 0u64;
    loop {
        let page = state.store.customer_facts(cursor.as_deref(), 1000).await?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.customer.external_id.clone());
        let full = page.len() == 1000;
        for f in page {
            if expr.is_none_or(|e| e.matches(&|k: &str| fact(&f, k))) {
                matched += 1;
                if out.len() < limit {
                    out.push(f);
                }
            }
        }
        if !full || (expr.is_none() && out.len() >= limit) {
            break;
        }
    }
    Ok((out, matched))
}

/// A segment's name, expression and description, checked and trimmed: the
/// one check behind the API and the segment pages.
pub async fn check_segment(
    state: &AppState,
    name: &str,
    expression: &str,
    description: Option<&str>,
) -> Result<(String, String, Option<String>), AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "name must be 1–100 characters"));
    }
    let expression = expression.trim();
    parse_segment(expression, &state.store.attribute_defs().await?)?;
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > 500) {
        return Err(AppError::invalid("description", "description is longer than 500 characters"));
    }
    Ok((name.to_string(), expression.to_string(), description.map(str::to_string)))
}

/// The customers of a segment given as an expression or a saved segment's id,
/// with the segment's label (the expression, or the saved segment's name).
pub async fn segment_facts(
    state: &AppState,
    expression: Option<&str>,
    segment_id: Option<&str>,
) -> Result<Option<(String, Vec<CustomerFacts>)>, AppError> {
    let (label, expr) =
        match (expression.map(str::trim).filter(|e| !e.is_empty()), segment_id.filter(|s| !s.is_empty())) {
            (Some(e), _) => (e.to_string(), e.to_string()),
            (None, Some(id)) => {
                let seg = state.store.segment(segment_id_field(id)?).await.map_err(not_found)?;
                (seg.name, seg.expression)
            }
            (None, None) => return Ok(None),
        };
    let parsed = parse_segment(&expr, &state.store.attribute_defs().await?)?;
    let (facts, _) = matching(state, Some(&parsed), None, usize::MAX).await?;
    Ok(Some((label, facts)))
}

/// A segment's label and its customers' ids.
pub async fn resolve_segment(
    state: &AppState,
    expression: Option<&str>,
    segment_id: Option<&str>,
) -> Result<Option<(String, std::collections::HashSet<cxloop_core::ids::CustomerId>)>, AppError> {
    Ok(segment_facts(state, expression, segment_id)
        .await?
        .map(|(label, facts)| (label, facts.into_iter().map(|f| f.customer.id).collect())))
}

/// A segment's label and its customers' external ids (what exported responses carry).
pub async fn resolve_segment_external_ids(
    state: &AppState,
    expression: Option<&str>,
    segment_id: Option<&str>,
) -> Result<Option<(String, std::collections::HashSet<String>)>, AppError> {
    Ok(segment_facts(state, expression, segment_id)
        .await?
        .map(|(label, facts)| (label, facts.into_iter().map(|f| f.customer.external_id).collect())))
}

fn segment_id_field(id: &str) -> Result<cxloop_core::ids::SegmentId, AppError> {
    id.parse().map_err(|_| AppError::invalid("segment_id", "segment_id is not a segment id"))
}
