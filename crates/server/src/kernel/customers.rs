//! Customers as the kernel serves them to every feature.

use crate::AppState;
use crate::error::AppError;
use cxloop_store::StoreError;

/// A customer by external id (as a path gives it); unknown ones are 404.
pub async fn customer_or_404(state: &AppState, external_id: &str) -> Result<cxloop_store::Customer, AppError> {
    state.store.customer_by_external_id(external_id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound("customer"),
        other => other.into(),
    })
}
