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
    let mut out = Vec::new();
    let mut cursor = after;
    let mut matched = 0u64;
    loop {
        let page = state.store.customer_facts(cursor.as_deref(), 1000).await?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.customer.external_id.clone());
        let full = page.len() == 1000;
        for f in page {
            if expr.is_none_or(|e| f.matches(e)) {
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
    Ok(segment_facts(state, expression, segment_id)
        .await?
        .map(|(label, facts)| (label, Members { ids: facts.into_iter().map(|f| f.customer.id).collect(), saved })))
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
    Ok(segment_facts(state, expression, segment_id)
        .await?
        .map(|(label, facts)| (label, facts.into_iter().map(|f| f.customer.external_id).collect())))
}

fn segment_id_field(id: &str) -> Result<cxloop_core::ids::SegmentId, AppError> {
    id.parse().map_err(|_| AppError::invalid("segment_id", "segment_id is not a segment id"))
}
