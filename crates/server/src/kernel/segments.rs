//! Segments, a kernel module every feature may use: the expression a
//! segment is written in, checked against the defined attributes, and its
//! members. A saved segment's members are kept by the store (the
//! `refresh segments` sweeper here keeps them current) and read exactly; an
//! expression typed in a filter, or a segment whose members are still being
//! built, is evaluated over the customer facts a page at a time.

use crate::platform::error::AppError;
use crate::state::AppState;
use cxloop_core::customer::AttributeDef;
use cxloop_core::segment::{self, Expr};
use cxloop_store::{CustomerFacts, StoreError};

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("segment"),
        other => other.into(),
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
    let Some(expr) = expr else {
        let mut out: Vec<CustomerFacts> = Vec::new();
        let mut cursor = after;
        while out.len() < limit {
            let page = state.store.customer_facts(cursor.as_deref(), 1000).await?;
            let Some(last) = page.last() else { break };
            cursor = Some(last.customer.external_id.clone());
            let full = page.len() == 1000;
            out.extend(page);
            if !full {
                break;
            }
        }
        let walked = out.len() as u64;
        out.truncate(limit);
        return Ok((out, walked));
    };
    // The store evaluates the expression over the columns it names; the
    // page's facts are read for the first `limit` only.
    let found = state.store.matching_customers(expr, after.as_deref()).await?;
    let first: Vec<_> = found.iter().take(limit).map(|(id, _)| *id).collect();
    let facts = if first.is_empty() { Vec::new() } else { state.store.facts_by_ids(&first).await? };
    Ok((facts, found.len() as u64))
}

/// Every customer an expression selects: (id, external id), in external id order.
pub async fn matching_ids(
    state: &AppState,
    expr: &Expr,
) -> Result<Vec<(cxloop_core::ids::CustomerId, String)>, AppError> {
    Ok(state.store.matching_customers(expr, None).await?)
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

/// A segment given as an expression or a saved segment's id: its label (the
/// expression, or the saved segment's name) and its checked expression.
async fn segment_expr(
    state: &AppState,
    expression: Option<&str>,
    segment_id: Option<&str>,
) -> Result<Option<(String, Expr)>, AppError> {
    let (label, expr) =
        match (expression.map(str::trim).filter(|e| !e.is_empty()), segment_id.filter(|s| !s.is_empty())) {
            (Some(e), _) => (e.to_string(), e.to_string()),
            (None, Some(id)) => {
                let seg = state.store.segment(segment_id_field(id)?).await.map_err(not_found)?;
                (seg.name, seg.expression)
            }
            (None, None) => return Ok(None),
        };
    Ok(Some((label, parse_segment(&expr, &state.store.attribute_defs().await?)?)))
}

/// The customers of a segment given as an expression or a saved segment's id,
/// with the segment's label: their facts (what sending to them needs).
pub async fn segment_facts(
    state: &AppState,
    expression: Option<&str>,
    segment_id: Option<&str>,
) -> Result<Option<(String, Vec<CustomerFacts>)>, AppError> {
    let Some((label, expr)) = segment_expr(state, expression, segment_id).await? else { return Ok(None) };
    let ids: Vec<_> = matching_ids(state, &expr).await?.into_iter().map(|(id, _)| id).collect();
    Ok(Some((label, state.store.facts_by_ids(&ids).await?)))
}

/// The customers of a segment given as an expression or a saved segment's
/// id, with the segment's label: (id, external id) of each, the expression
/// evaluated by the store over the columns it names.
async fn segment_customers(
    state: &AppState,
    expression: Option<&str>,
    segment_id: Option<&str>,
) -> Result<Option<(String, Vec<(cxloop_core::ids::CustomerId, String)>)>, AppError> {
    let Some((label, expr)) = segment_expr(state, expression, segment_id).await? else { return Ok(None) };
    Ok(Some((label, matching_ids(state, &expr).await?)))
}

/// The customers a report is cut by: their ids, and the saved segment they
/// are when they are one (its rollups answer KPIs without reading scores).
#[derive(Debug, Clone)]
pub struct Members {
    pub ids: std::collections::HashSet<cxloop_core::ids::CustomerId>,
    pub saved: Option<cxloop_core::ids::SegmentId>,
}

impl std::ops::Deref for Members {
    type Target = std::collections::HashSet<cxloop_core::ids::CustomerId>;

    fn deref(&self) -> &Self::Target {
        &self.ids
    }
}

/// A segment's label and its customers: a saved segment's kept members when
/// they are built, else the expression evaluated over every customer.
pub async fn resolve_segment(
    state: &AppState,
    expression: Option<&str>,
    segment_id: Option<&str>,
) -> Result<Option<(String, Members)>, AppError> {
    let saved = match (expression.map(str::trim).filter(|e| !e.is_empty()), segment_id.filter(|s| !s.is_empty())) {
        (None, Some(id)) => Some(segment_id_field(id)?),
        _ => None,
    };
    if let Some(id) = saved {
        let seg = state.store.segment(id).await.map_err(not_found)?;
        if let Some(members) = state.store.segment_members(id).await? {
            return Ok(Some((seg.name, Members { ids: members.into_iter().collect(), saved })));
        }
    }
    Ok(segment_customers(state, expression, segment_id)
        .await?
        .map(|(label, found)| (label, Members { ids: found.into_iter().map(|(id, _)| id).collect(), saved })))
}

/// How many customers each saved segment has (`None` for one whose
/// expression no longer checks): kept sizes where built, else evaluated.
pub async fn segment_sizes(state: &AppState, segments: &[cxloop_store::Segment]) -> Result<Vec<Option<u64>>, AppError> {
    let kept = state.store.segment_sizes().await?;
    let defs = state.store.attribute_defs().await?;
    let mut out = Vec::with_capacity(segments.len());
    for s in segments {
        out.push(match (parse_segment(&s.expression, &defs), kept.get(&s.id)) {
            (Err(_), _) => None,
            (Ok(_), Some(n)) => Some(*n),
            (Ok(e), None) => Some(matching(state, Some(&e), None, 0).await?.1),
        });
    }
    Ok(out)
}

/// Keeps saved segments' members current: customers whose facts changed,
/// then segments new or edited, 2,000 customers a step.
pub struct RefreshMembers;

#[async_trait::async_trait]
impl crate::platform::jobs::Sweeper for RefreshMembers {
    fn name(&self) -> &'static str {
        "refresh segments"
    }

    fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(500)
    }

    async fn sweep(&self, ctx: &crate::platform::jobs::JobContext) -> Result<usize, String> {
        let n = ctx.store.refresh_members(2000).await.map_err(|e| e.to_string())?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
}

/// A segment's label and its customers' external ids (what exported responses carry).
pub async fn resolve_segment_external_ids(
    state: &AppState,
    expression: Option<&str>,
    segment_id: Option<&str>,
) -> Result<Option<(String, std::collections::HashSet<String>)>, AppError> {
    Ok(segment_customers(state, expression, segment_id)
        .await?
        .map(|(label, found)| (label, found.into_iter().map(|(_, external)| external).collect())))
}

fn segment_id_field(id: &str) -> Result<cxloop_core::ids::SegmentId, AppError> {
    id.parse().map_err(|_| AppError::invalid("segment_id", "segment_id is not a segment id"))
}
