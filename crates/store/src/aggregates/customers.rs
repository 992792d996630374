//! The customer directory: customers, attributes, lifecycle events.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::EventId;
use serde::Serialize;
use time::OffsetDateTime;

pub use cxloop_core::customer::Lifecycle;

/// The customer directory: customers, the attributes the organisation
/// defines, lifecycle events and saved segments.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    async fn upsert_customer(&self, c: &CustomerRef) -> Result<cxloop_core::ids::CustomerId>;
    /// Upserts many customers in one transaction: all of them or none.
    async fn upsert_customers(&self, cs: &[CustomerRef]) -> Result<u64>;
    async fn customer_by_external_id(&self, external_id: &str) -> Result<Customer>;
    async fn count_customers(&self) -> Result<u64>;
    /// Customers with their facts, by external id, after a cursor.
    async fn customer_facts(&self, after: Option<&str>, limit: u32) -> Result<Vec<CustomerFacts>>;
    /// One customer's facts.
    async fn customer_fact(&self, external_id: &str) -> Result<CustomerFacts>;
    async fn attribute_defs(&self) -> Result<Vec<cxloop_core::customer::AttributeDef>>;
    async fn put_attribute_def(&self, def: &cxloop_core::customer::AttributeDef) -> Result<()>;
    async fn add_customer_event(
        &self,
        customer_id: cxloop_core::ids::CustomerId,
        kind: Lifecycle,
        at: time::OffsetDateTime,
        note: Option<&str>,
    ) -> Result<EventId>;
    /// Many lifecycle events in one transaction, each for the customer with
    /// its external id (imports, the scale demo). Events for an unknown
    /// external id are left out; returns how many were written.
    async fn add_customer_events(&self, events: &[NewCustomerEvent]) -> Result<u64>;
    async fn customer_events(&self, customer_id: cxloop_core::ids::CustomerId) -> Result<Vec<CustomerEvent>>;
    /// Removes a customer's identity and free text everywhere, keeping the
    /// scores (aggregates stay right), and records it in the audit log, in
    /// one transaction. Returns how many comments were erased.
    async fn erase_customer(&self, customer_id: cxloop_core::ids::CustomerId, actor: &str) -> Result<u64>;
}

/// Who answered, as the caller knows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRef {
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Attributes to set (merged over existing ones).
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Customer {
    pub id: cxloop_core::ids::CustomerId,
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// A customer with the facts segments can filter on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerFacts {
    #[serde(flatten)]
    pub customer: Customer,
    /// The latest lifecycle event's kind.
    pub stage: Option<String>,
    pub responses: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_response_at: Option<OffsetDateTime>,
    pub last_nps: Option<i32>,
    pub last_csat: Option<i32>,
    pub last_ces: Option<i32>,
}

impl CustomerFacts {
    /// The value a segment expression sees for `field`: a customer field, a
    /// fact, or an attribute (text, number or true/false; others are missing).
    pub fn value(&self, field: &str) -> Option<cxloop_core::segment::Value> {
        use cxloop_core::segment::Value as V;
        let num = |n: Option<i32>| n.map(|n| V::Number(f64::from(n)));
        match field {
            "external_id" => Some(V::Text(self.customer.external_id.clone())),
            "name" => self.customer.name.clone().map(V::Text),
            "email" => self.customer.email.clone().map(V::Text),
            "stage" => self.stage.clone().map(V::Text),
            "responses" => Some(V::Number(self.responses as f64)),
            "last_nps" => num(self.last_nps),
            "last_csat" => num(self.last_csat),
            "last_ces" => num(self.last_ces),
            "last_response_at" => self.last_response_at.map(|t| V::Text(cxloop_core::period::fmt_date(t.date()))),
            key => match self.customer.attributes.get(key)? {
                serde_json::Value::String(s) => Some(V::Text(s.clone())),
                serde_json::Value::Number(n) => n.as_f64().map(V::Number),
                serde_json::Value::Bool(b) => Some(V::Bool(*b)),
                _ => None,
            },
        }
    }

    /// Whether the customer is in the segment `expr` describes.
    pub fn matches(&self, expr: &cxloop_core::segment::Expr) -> bool {
        expr.matches(&|k: &str| self.value(k))
    }
}

/// A lifecycle event to record, for a customer named by its external id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCustomerEvent {
    pub external_id: String,
    pub kind: Lifecycle,
    pub at: OffsetDateTime,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerEvent {
    pub id: EventId,
    pub kind: Lifecycle,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: OffsetDateTime,
    pub note: Option<String>,
}
