//! The customer directory API: attribute definitions, customers (single
//! and all-or-nothing bulk upsert, listing filtered by a segment, one
//! customer with its lifecycle events) and saved segments with a preview.

use crate::kernel::customers::{CustomerInput, check_customer};
use crate::platform::auth::{Api, can};
use crate::platform::error::AppError;
use crate::platform::json::ApiJson;
use crate::platform::query::{ApiQuery, Limit};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cxloop_core::customer::{AttributeDef, Lifecycle};
use cxloop_store::{Customer, CustomerFacts, CustomerRef, Segment, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

use crate::kernel::customer_import::{MappedColumn, RowError, mapped, parse_map};
use crate::kernel::segments::{check_segment, matching, parse_segment};

/// The attributes the organisation defines.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttributeList {
    pub attributes: Vec<AttributeDef>,
}

pub async fn list_attributes(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
) -> Result<Json<AttributeList>, AppError> {
    Ok(Json(AttributeList { attributes: state.store.attribute_defs().await? }))
}

/// An attribute definition as the API takes it: unknown fields are refused,
/// and `options` belongs to `one_of` alone (given with another type it is an
/// error, not silently dropped).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeRequest {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: AttrKind,
    #[serde(default)]
    pub options: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrKind {
    Text,
    Number,
    Date,
    Boolean,
    OneOf,
}

impl AttributeRequest {
    fn into_def(self) -> Result<AttributeDef, AppError> {
        use cxloop_core::customer::AttrType;
        let kind = match (self.kind, self.options) {
            (AttrKind::OneOf, options) => AttrType::OneOf { options: options.unwrap_or_default() },
            (_, Some(_)) => return Err(AppError::invalid("options", "options are only for a one_of attribute")),
            (AttrKind::Text, None) => AttrType::Text,
            (AttrKind::Number, None) => AttrType::Number,
            (AttrKind::Date, None) => AttrType::Date,
            (AttrKind::Boolean, None) => AttrType::Boolean,
        };
        Ok(AttributeDef { key: self.key, label: self.label, kind })
    }
}

pub async fn put_attribute(
    State(state): State<AppState>,
    _u: Api<can::ManageAttributes>,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<AttributeRequest>,
) -> Result<Json<AttributeDef>, AppError> {
    if req.key != key {
        return Err(AppError::invalid("key", "the key in the body must match the path"));
    }
    let def = req.into_def()?;
    def.validate().map_err(|e| AppError::invalid(e.field, e.message))?;
    state.store.put_attribute_def(&def).await?;
    Ok(Json(def))
}

async fn defs(state: &AppState) -> Result<HashMap<String, AttributeDef>, AppError> {
    Ok(state.store.attribute_defs().await?.into_iter().map(|d| (d.key.clone(), d)).collect())
}

async fn one(state: &AppState, external_id: &str) -> Result<CustomerFacts, AppError> {
    state.store.customer_fact(external_id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound("customer"),
        other => other.into(),
    })
}

pub async fn put_customer(
    State(state): State<AppState>,
    _u: Api<can::ManageCustomers>,
    Path(external_id): Path<String>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> Result<Json<Customer>, AppError> {
    if input.external_id.as_deref().is_some_and(|e| e != external_id) {
        return Err(AppError::invalid("external_id", "the external_id in the body must match the path"));
    }
    let c = check_customer(&input, &external_id, &defs(&state).await?, "")?;
    state.store.upsert_customer(&c).await?;
    Ok(Json(state.store.customer_by_external_id(&c.external_id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkCustomers {
    pub customers: Vec<CustomerInput>,
}

pub async fn bulk_customers(
    State(state): State<AppState>,
    _u: Api<can::ManageCustomers>,
    ApiJson(req): ApiJson<BulkCustomers>,
) -> Result<Json<Upserted>, AppError> {
    if req.customers.len() > 10_000 {
        return Err(AppError::invalid("customers", "at most 10,000 customers per request"));
    }
    let defs = defs(&state).await?;
    let mut seen = std::collections::HashSet::new();
    let mut refs = Vec::with_capacity(req.customers.len());
    for (i, c) in req.customers.iter().enumerate() {
        let prefix = format!("customers[{i}].");
        let id = c.external_id.clone().unwrap_or_default();
        let r = check_customer(c, &id, &defs, &prefix)?;
        if !seen.insert(r.external_id.clone()) {
            return Err(AppError::invalid(
                format!("{prefix}external_id"),
                format!("{:?} appears twice", r.external_id),
            ));
        }
        refs.push(r);
    }
    let n = state.store.upsert_customers(&refs).await?;
    Ok(Json(Upserted { upserted: n }))
}

/// How many customers a bulk request created or updated.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Upserted {
    pub upserted: u64,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListCustomers {
    pub segment: Option<String>,
    pub segment_id: Option<String>,
    pub after: Option<String>,
    #[serde(default)]
    pub limit: Limit,
}

pub async fn list_customers(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
    ApiQuery(q): ApiQuery<ListCustomers>,
) -> Result<Json<CustomerList>, AppError> {
    let limit = q.limit.rows();
    let expression = match (
        q.segment.as_deref().filter(|s| !s.trim().is_empty()),
        q.segment_id.as_deref().filter(|s| !s.is_empty()),
    ) {
        (Some(e), _) => Some(e.to_string()),
        (None, Some(id)) => {
            let id: cxloop_core::ids::SegmentId =
                id.parse().map_err(|_| AppError::invalid("segment_id", "not a segment id"))?;
            Some(
                state
                    .store
                    .segment(id)
                    .await
                    .map_err(|e| match e {
                        StoreError::NotFound => AppError::NotFound("segment"),
                        other => other.into(),
                    })?
                    .expression,
            )
        }
        (None, None) => None,
    };
    let defs = state.store.attribute_defs().await?;
    let expr = expression.as_deref().map(|e| parse_segment(e, &defs)).transpose()?;
    let (customers, mut matched) = matching(&state, expr.as_ref(), q.after.filter(|a| !a.is_empty()), limit).await?;
    if expr.is_none() {
        matched = state.store.count_customers().await?;
    }
    let next = (customers.len() == limit).then(|| customers.last().map(|c| c.customer.external_id.clone())).flatten();
    Ok(Json(CustomerList { customers, matched, next_cursor: next }))
}

pub async fn get_customer(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
    Path(external_id): Path<String>,
) -> Result<Json<CustomerDetail>, AppError> {
    let customer = one(&state, &external_id).await?;
    let events = state.store.customer_events(customer.customer.id).await?;
    Ok(Json(CustomerDetail { customer, events }))
}

/// `GET /api/v1/customers`: a page of the directory (or of a segment).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerList {
    pub customers: Vec<CustomerFacts>,
    /// How many customers match in all (the whole directory without a filter).
    pub matched: u64,
    pub next_cursor: Option<String>,
}

/// One customer with their facts and lifecycle events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerDetail {
    pub customer: CustomerFacts,
    pub events: Vec<cxloop_store::CustomerEvent>,
}

/// `GET /api/v1/segments`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentList {
    pub segments: Vec<Segment>,
}

/// A segment with how many customers match it now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentDetail {
    pub segment: Segment,
    pub customers: u64,
}

/// What a segment expression would match, before it is saved.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentPreview {
    pub customers: u64,
    /// Customers in the directory.
    pub of: u64,
    /// Up to 10 matching external ids.
    pub sample: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub kind: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub occurred_at: Option<time::OffsetDateTime>,
    #[serde(default)]
    pub note: Option<String>,
}

pub async fn add_event(
    State(state): State<AppState>,
    _u: Api<can::ManageCustomers>,
    Path(external_id): Path<String>,
    ApiJson(e): ApiJson<EventInput>,
) -> Result<(StatusCode, Json<EventCreated>), AppError> {
    let kind: Lifecycle = e
        .kind
        .parse()
        .map_err(|err: cxloop_core::customer::CustomerError| AppError::invalid(err.field, err.message))?;
    let c = state.store.customer_by_external_id(&external_id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound("customer"),
        other => other.into(),
    })?;
    let note = e.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 1000) {
        return Err(AppError::invalid("note", "note is longer than 1000 characters"));
    }
    let at = e.occurred_at.unwrap_or_else(time::OffsetDateTime::now_utc);
    let id = state.store.add_customer_event(c.id, kind, at, note).await?;
    Ok((StatusCode::CREATED, Json(EventCreated { id, kind })))
}

/// A lifecycle event just recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventCreated {
    pub id: cxloop_core::ids::EventId,
    pub kind: Lifecycle,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    pub name: String,
    pub expression: String,
    #[serde(default)]
    pub description: Option<String>,
}

pub async fn list_segments(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
) -> Result<Json<SegmentList>, AppError> {
    Ok(Json(SegmentList { segments: state.store.segments().await? }))
}

pub async fn create_segment(
    State(state): State<AppState>,
    _u: Api<can::ManageSegments>,
    ApiJson(s): ApiJson<SegmentInput>,
) -> Result<(StatusCode, Json<Segment>), AppError> {
    let (name, expression, description) =
        check_segment(&state, &s.name, &s.expression, s.description.as_deref()).await?;
    let seg = state.store.create_segment(&name, &expression, description.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(seg)))
}

fn segment_id(id: &str) -> Result<cxloop_core::ids::SegmentId, AppError> {
    id.parse().map_err(|_| AppError::NotFound("segment"))
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("segment"),
        other => other.into(),
    }
}

pub async fn get_segment(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
    Path(id): Path<String>,
) -> Result<Json<SegmentDetail>, AppError> {
    let seg = state.store.segment(segment_id(&id)?).await.map_err(not_found)?;
    let members = match crate::kernel::segments::segment_sizes(&state, std::slice::from_ref(&seg)).await?.pop() {
        Some(Some(n)) => n,
        // An expression that no longer checks (an attribute was removed): say why.
        _ => parse_segment(&seg.expression, &state.store.attribute_defs().await?).map(|_| 0)?,
    };
    Ok(Json(SegmentDetail { segment: seg, customers: members }))
}

pub async fn update_segment(
    State(state): State<AppState>,
    _u: Api<can::ManageSegments>,
    Path(id): Path<String>,
    ApiJson(s): ApiJson<SegmentInput>,
) -> Result<Json<Segment>, AppError> {
    let (name, expression, description) =
        check_segment(&state, &s.name, &s.expression, s.description.as_deref()).await?;
    let seg = state
        .store
        .update_segment(segment_id(&id)?, &name, &expression, description.as_deref())
        .await
        .map_err(not_found)?;
    Ok(Json(seg))
}

pub async fn delete_segment(
    State(state): State<AppState>,
    _u: Api<can::ManageSegments>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state.store.delete_segment(segment_id(&id)?).await.map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preview {
    pub expression: String,
}

pub async fn preview_segment(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
    ApiJson(p): ApiJson<Preview>,
) -> Result<Json<SegmentPreview>, AppError> {
    let expr = parse_segment(&p.expression, &state.store.attribute_defs().await?)?;
    let (sample, matched) = matching(&state, Some(&expr), None, 10).await?;
    let total = state.store.count_customers().await?;
    let sample = sample.into_iter().map(|f| f.customer.external_id).collect();
    Ok(Json(SegmentPreview { customers: matched, of: total, sample }))
}

#[derive(Debug, Default, Deserialize)]
pub struct ImportQuery {
    pub all_or_nothing: Option<bool>,
    pub dry_run: Option<bool>,
    /// `HEADER:TARGET` pairs separated by `;` (TARGET: external_id, name,
    /// email, an attribute key, or ignore).
    pub map: Option<String>,
}

/// The report of a customer import (or a dry run).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerImport {
    /// Data rows read (the header not counted).
    pub rows: u64,
    pub valid: u64,
    /// Rows written: 0 on a dry run, or with all_or_nothing and any error.
    pub imported: u64,
    pub errors: Vec<RowError>,
    pub mapping: Vec<MappedColumn>,
}

/// Imports customers from a CSV body; reports every bad row by line and column.
pub async fn import_customers(
    State(state): State<AppState>,
    _u: Api<can::ManageCustomers>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<CustomerImport>), AppError> {
    let ct = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("text/csv") {
        return Err(AppError::UnsupportedMediaType("send the file as Content-Type: text/csv".into()));
    }
    let explicit = parse_map(q.map.as_deref())?;
    let defs = state.store.attribute_defs().await?;
    let plan =
        crate::kernel::customer_import::plan(&body, &defs, &explicit).map_err(|e| AppError::invalid("file", e.0))?;
    let all_or_nothing = q.all_or_nothing.unwrap_or(false);
    let import = !q.dry_run.unwrap_or(false) && (!all_or_nothing || plan.errors.is_empty());
    let refs: Vec<CustomerRef> = plan.customers.iter().map(|(_, c)| c.clone()).collect();
    if import {
        state.store.upsert_customers(&refs).await?;
    }
    let status = if plan.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let valid = refs.len() as u64;
    Ok((
        status,
        Json(CustomerImport {
            rows: plan.rows,
            valid,
            imported: if import { valid } else { 0 },
            mapping: mapped(&plan.mapping),
            errors: plan.errors,
        }),
    ))
}

/// Every customer as CSV: id, name, email, stage, facts and one column per attribute.
pub async fn export_customers(
    State(state): State<AppState>,
    _u: Api<can::ExportData>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let defs = state.store.attribute_defs().await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut header = vec!["external_id", "name", "email", "stage", "responses", "last_nps", "last_csat", "last_ces"];
    header.extend(defs.iter().map(|d| d.key.as_str()));
    w.write_record(&header).map_err(fail)?;
    let mut cursor: Option<String> = None;
    loop {
        let page = state.store.customer_facts(cursor.as_deref(), 1000).await?;
        let Some(last) = page.last().map(|f| f.customer.external_id.clone()) else { break };
        for f in &page {
            let n = |v: Option<i32>| v.map(|v| v.to_string()).unwrap_or_default();
            let mut rec = vec![
                f.customer.external_id.clone(),
                f.customer.name.clone().unwrap_or_default(),
                f.customer.email.clone().unwrap_or_default(),
                f.stage.clone().unwrap_or_default(),
                f.responses.to_string(),
                n(f.last_nps),
                n(f.last_csat),
                n(f.last_ces),
            ];
            for d in &defs {
                rec.push(match f.customer.attributes.get(&d.key) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(v) => v.to_string(),
                });
            }
            w.write_record(&rec).map_err(fail)?;
        }
        if page.len() < 1000 {
            break;
        }
        cursor = Some(last);
    }
    let body = w.into_inner().map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"customers.csv\""),
        ],
        body,
    )
        .into_response())
}
