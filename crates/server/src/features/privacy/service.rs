//! The privacy service: a customer's data export and erasure, each
//! recorded in the audit log, for the API and the pages alike.

use crate::kernel::customers::customer_or_404;
use crate::platform::error::AppError;
use cxloop_store::{AuditStore, Customer, CustomerEvent, CustomerStore, ResponseStore, StoredResponse};
use serde::Serialize;

/// Everything cxloop holds about one customer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerData {
    pub customer: Customer,
    pub events: Vec<CustomerEvent>,
    pub responses: Vec<StoredResponse>,
}

/// Everything cxloop holds about one customer (logged in the audit trail
/// as done by `actor`). The API and the privacy page both call this.
pub async fn customer_data<S: CustomerStore + ResponseStore + AuditStore + ?Sized>(
    store: &S,
    actor: &str,
    external_id: &str,
) -> Result<CustomerData, AppError> {
    let customer = customer_or_404(store, external_id).await?;
    let events = store.customer_events(customer.id).await?;
    let responses = store.customer_responses(customer.id, 100_000).await?;
    let detail = serde_json::json!({ "responses": responses.len() });
    store.audit(actor, "customer.export", &customer.id.to_string(), &detail).await?;
    Ok(CustomerData { customer, events, responses })
}

/// Erases a customer's identity and free text everywhere (scores stay so
/// aggregates stay right); returns how many comments were erased.
pub async fn erase(store: &dyn CustomerStore, actor: &str, external_id: &str) -> Result<u64, AppError> {
    let c = customer_or_404(store, external_id).await?;
    Ok(store.erase_customer(c.id, actor).await?)
}
