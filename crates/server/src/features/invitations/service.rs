//! The invitations service: whom a send request reaches (a segment's
//! members, customers of the directory, plain addresses, each checked), for
//! the API and the page alike. Queueing and delivery are the kernel's
//! (`crate::kernel::invite`), which inbound webhooks use too.

use crate::kernel::invite::Recipient;
use crate::platform::error::AppError;
use crate::state::AppState;
use cxloop_store::CustomerRef;
use serde::Deserialize;
use serde_json::Value;

/// An address to invite, optionally tied to a customer of the directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub email: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// A saved segment's id, or an expression: its customers with an email.
    #[serde(default)]
    pub segment_id: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
    /// Customers by external id.
    #[serde(default)]
    pub customers: Vec<String>,
    /// Plain addresses.
    #[serde(default)]
    pub emails: Vec<Address>,
    /// Days before a reminder to those who did not answer (default 3).
    #[serde(default)]
    pub reminder_after_days: Option<u32>,
    /// How many reminders at most (default 1; 0 for none).
    #[serde(default)]
    pub max_reminders: Option<u32>,
    /// Carried onto each response (a campaign name, a ticket …).
    #[serde(default)]
    pub context: Option<serde_json::Map<String, Value>>,
}

/// Resolves the request's recipients: segment members, named customers and
/// addresses (an address with an external id is saved to the directory).
pub async fn recipients(state: &AppState, req: &SendRequest) -> Result<Vec<Recipient>, AppError> {
    let mut out = Vec::new();
    if let Some((_, facts)) =
        crate::kernel::segments::segment_facts(state, req.segment.as_deref(), req.segment_id.as_deref()).await?
    {
        out.extend(facts.into_iter().map(|f| Recipient {
            email: f.customer.email.clone(),
            customer_id: Some(f.customer.id),
            label: f.customer.external_id,
        }));
    }
    for (i, id) in req.customers.iter().enumerate() {
        let c = state.store.customer_by_external_id(id.trim()).await.map_err(|e| match e {
            cxloop_store::StoreError::NotFound => {
                AppError::invalid(format!("customers[{i}]"), format!("there is no customer {id:?}"))
            }
            other => other.into(),
        })?;
        out.push(Recipient { email: c.email.clone(), customer_id: Some(c.id), label: c.external_id });
    }
    for (i, a) in req.emails.iter().enumerate() {
        let email = cxloop_core::customer::check_email(a.email.trim())
            .map_err(|e| AppError::invalid(format!("emails[{i}].email"), e.to_string()))?;
        let name = crate::kernel::customers::optional_name(&format!("emails[{i}].name"), a.name.as_deref())?;
        let customer_id = match a.external_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(ext) if ext.chars().count() > 200 => {
                return Err(AppError::invalid(
                    format!("emails[{i}].external_id"),
                    "external_id must be 1–200 characters",
                ));
            }
            Some(ext) => Some(
                state
                    .store
                    .upsert_customer(&CustomerRef {
                        external_id: ext.to_string(),
                        name,
                        email: Some(email.clone()),
                        attributes: Default::default(),
                    })
                    .await?,
            ),
            None => None,
        };
        out.push(Recipient { email: Some(email.clone()), customer_id, label: email });
    }
    Ok(out)
}
