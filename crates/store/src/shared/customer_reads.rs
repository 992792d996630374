// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Reports' reads over the customer directory: segment expressions evaluated
// over the columns they name, theme mentions, value points.

use super::customers::{FACT_FIELDS, decode_facts, facts_query};
use super::{Backend, Db};
use crate::codec::{Id, Ts, count, narrow};
use crate::{Customer, CustomerReadStore, Result};
use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};

#[async_trait]
impl CustomerReadStore for Backend {
    async fn matching_customers(
        &self,
        expr: &cxloop_core::segment::Expr,
        after: Option<&str>,
    ) -> Result<Vec<(cxloop_core::ids::CustomerId, String)>> {
        const PAGE: i64 = 5000;
        let fields = expr.fields();
        let attributes: Vec<&str> = fields.iter().copied().filter(|f| !FACT_FIELDS.contains(f)).collect();
        // Only the columns the expression reads; the others stay empty, unread.
        let facts: Vec<&str> =
            FACT_FIELDS.iter().copied().filter(|f| *f != "external_id" && fields.contains(f)).collect();
        let names: Vec<[String; 3]> =
            (0..attributes.len()).map(|i| [format!("k{i}"), format!("s{i}"), format!("n{i}")]).collect();
        let mut out = Vec::new();
        let mut cursor = after.map(str::to_string);
        loop {
            let mut qb = QueryBuilder::<Db>::new("SELECT c.id, c.external_id");
            for f in &facts {
                qb.push(format!(", c.{} AS {f}", if *f == "responses" { "response_count" } else { f }));
            }
            for (i, key) in attributes.iter().enumerate() {
                super::push_attribute(&mut qb, key, i);
            }
            qb.push(" FROM customers c");
            if let Some(c) = &cursor {
                qb.push(" WHERE c.external_id > ").push_bind(c.clone());
            }
            qb.push(" ORDER BY c.external_id LIMIT ").push_bind(PAGE);
            let rows = qb.build().fetch_all(&self.read).await?;
            for r in &rows {
                // The facts with only what the expression reads (attributes as
                // JSON values): the one evaluator then decides.
                let mut map = serde_json::Map::new();
                for (key, [k, s, n]) in attributes.iter().zip(&names) {
                    let kind: Option<String> = r.try_get(k.as_str())?;
                    let value = match kind.as_deref() {
                        Some("s") => r.try_get::<Option<String>, _>(s.as_str())?.map(serde_json::Value::String),
                        Some("n") => r
                            .try_get::<Option<f64>, _>(n.as_str())?
                            .and_then(serde_json::Number::from_f64)
                            .map(serde_json::Value::Number),
                        Some("t") => Some(serde_json::Value::Bool(true)),
                        Some("f") => Some(serde_json::Value::Bool(false)),
                        _ => None,
                    };
                    if let Some(v) = value {
                        map.insert((*key).to_string(), v);
                    }
                }
                let read = |f: &str| facts.contains(&f);
                let text = |f: &str| -> Result<Option<String>> { Ok(if read(f) { r.try_get(f)? } else { None }) };
                let score = |f: &str| -> Result<Option<i32>> {
                    if read(f) { r.try_get::<Option<i64>, _>(f)?.map(narrow).transpose() } else { Ok(None) }
                };
                let facts = crate::CustomerFacts {
                    customer: Customer {
                        id: cxloop_core::ids::CustomerId::nil(),
                        external_id: r.try_get("external_id")?,
                        name: text("name")?,
                        email: text("email")?,
                        attributes: map,
                    },
                    stage: text("stage")?,
                    responses: if read("responses") { count(r.try_get::<i64, _>("responses")?)? } else { 0 },
                    last_response_at: if read("last_response_at") {
                        r.try_get::<Option<Ts>, _>("last_response_at")?.map(|t| t.0)
                    } else {
                        None
                    },
                    last_nps: score("last_nps")?,
                    last_csat: score("last_csat")?,
                    last_ces: score("last_ces")?,
                };
                if facts.matches(expr) {
                    out.push((r.try_get::<Id<_>, _>("id")?.0, facts.customer.external_id));
                }
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE => cursor = Some(last.try_get("external_id")?),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn facts_by_ids(&self, ids: &[cxloop_core::ids::CustomerId]) -> Result<Vec<crate::CustomerFacts>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut qb = facts_query();
            qb.push(" AND c.id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(Id(*id));
            }
            qb.push(")");
            for row in qb.build().fetch_all(&self.read).await? {
                out.push(decode_facts(&row)?);
            }
        }
        out.sort_by(|a, b| a.customer.external_id.cmp(&b.customer.external_id));
        Ok(out)
    }

    async fn value_points(&self, key: &str) -> Result<Vec<crate::ValuePoint>> {
        // The attribute as expressions read it (`n0`: its number, when it is one).
        let mut qb = QueryBuilder::<Db>::new("SELECT id, n0, last_nps FROM (SELECT c.id, c.last_nps");
        super::push_attribute(&mut qb, key, 0);
        qb.push(" FROM customers c) v WHERE n0 IS NOT NULL OR last_nps IS NOT NULL");
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<Id<_>, _>("id")?.0,
                    r.try_get::<Option<f64>, _>("n0")?,
                    r.try_get::<Option<i64>, _>("last_nps")?.map(narrow).transpose()?,
                ))
            })
            .collect()
    }

    async fn theme_counts_of(
        &self,
        version: u32,
        customers: &[cxloop_core::ids::CustomerId],
    ) -> Result<Vec<(String, u64)>> {
        // The customers' responses first, then those responses' tags by the
        // (response, version, theme) index: a join left both planners free to
        // walk every tag of the version instead (PostgreSQL without fresh
        // statistics, SQLite preferring its covering primary key). A response
        // has one customer and sits in one chunk, so the counts add up.
        let mut totals: std::collections::BTreeMap<String, u64> = Default::default();
        for chunk in customers.chunks(500) {
            let mut qb = QueryBuilder::<Db>::new("SELECT id FROM responses WHERE customer_id IN (");
            let mut list = qb.separated(", ");
            for c in chunk {
                list.push_bind(Id(*c));
            }
            qb.push(")");
            let responses: Vec<String> = qb.build_query_scalar().fetch_all(&self.read).await?;
            for ids in responses.chunks(1000) {
                let mut qb = QueryBuilder::<Db>::new(
                    // `+taxonomy_version`: found by the responses' index, not by
                    // walking every tag of the version (SQLite's choice otherwise).
                    "SELECT theme, COUNT(DISTINCT response_id) AS n FROM text_themes WHERE +taxonomy_version = ",
                );
                qb.push_bind(i64::from(version)).push(" AND response_id IN (");
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(id.clone());
                }
                qb.push(") GROUP BY theme");
                for row in qb.build().fetch_all(&self.read).await? {
                    *totals.entry(row.try_get("theme")?).or_default() += count(row.try_get::<i64, _>("n")?)?;
                }
            }
        }
        Ok(totals.into_iter().collect())
    }
}
