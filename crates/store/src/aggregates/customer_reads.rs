//! Reads over the customer directory for reports: segment expressions
//! evaluated by the store, the customers' theme mentions, the values the
//! ideal-customer chart plots.

use crate::{CustomerFacts, Result};
use async_trait::async_trait;

/// Reports' reads over the customer directory (the directory itself, its
/// writes and its pages are `CustomerStore`).
#[async_trait]
pub trait CustomerReadStore: Send + Sync {
    /// Theme mentions among the given customers' responses under a taxonomy
    /// version: (theme, responses that mention it). Reads only their rows.
    async fn theme_counts_of(
        &self,
        version: u32,
        customers: &[cxloop_core::ids::CustomerId],
    ) -> Result<Vec<(String, u64)>>;
    /// Every customer with a number under the attribute `key` or an NPS
    /// answer: (customer, that number, their latest NPS answer). A value that
    /// is not a JSON number counts as none. Reads two columns, not the facts.
    async fn value_points(&self, key: &str) -> Result<Vec<ValuePoint>>;
    /// The customers a segment expression selects (after the external id
    /// `after`, when given), in external id order: (id, external id). The
    /// same answer as `CustomerFacts::matches` over every customer's facts,
    /// reading only the columns and attributes the expression names.
    async fn matching_customers(
        &self,
        expr: &cxloop_core::segment::Expr,
        after: Option<&str>,
    ) -> Result<Vec<(cxloop_core::ids::CustomerId, String)>>;
    /// The facts of the given customers, in external id order (unknown ids are left out).
    async fn facts_by_ids(&self, ids: &[cxloop_core::ids::CustomerId]) -> Result<Vec<CustomerFacts>>;
}

/// A customer as the ideal-customer chart places it: (id, value, latest NPS answer).
pub type ValuePoint = (cxloop_core::ids::CustomerId, Option<f64>, Option<i32>);
