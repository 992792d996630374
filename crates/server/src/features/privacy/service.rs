//! The privacy service: a customer's data export and erasure, each
//! recorded in the audit log, for the API and the pages alike.

use crate::kernel::customers::customer_or_404;
use crate::platform::error::AppError;
use crate::state::AppState;
use serde_json::{Value, json};

/// Everything cxloop holds about one customer (logged in the audit trail
/// as done by `actor`). The API and the privacy page both call this.
pub async fn customer_data(state: &AppState, actor: &str, external_id: &str) -> Result<Value, AppError> {
    let c = customer_or_404(state, external_id).await?;
    let events = state.store.customer_events(c.id).await?;
    let responses = state.store.customer_responses(c.id, 100_000).await?;
    state.store.audit(actor, "customer.export", &c.id.to_string(), &json!({ "responses": responses.len() })).await?;
    Ok(json!({ "customer": c, "events": events, "responses": responses }))
}

/// Erases a customer's identity and free text everywhere (scores stay so
/// aggregates stay right); returns how many comments were erased.
pub async fn erase(state: &AppState, actor: &str, external_id: &str) -> Result<u64, AppError> {
    let c = customer_or_404(state, external_id).await?;
    Ok(state.store.erase_customer(c.id, actor).await?)
}
