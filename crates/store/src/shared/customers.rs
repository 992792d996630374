// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// The customer directory: customers, attribute definitions, lifecycle
// events and the facts segments filter on, on either backend.

use super::{Backend, Db, uuid};
use crate::codec::{Id, Json, Ts, count, narrow};
use crate::{
    Customer, CustomerEvent, CustomerFacts, CustomerRef, CustomerStore, Lifecycle, NewCustomerEvent, Result, StoreError,
};
use async_trait::async_trait;
use cxloop_core::customer::AttributeDef;
use sqlx::{QueryBuilder, Row};
use time::OffsetDateTime;

fn decode_customer(row: &super::DbRow) -> Result<Customer> {
    Ok(Customer {
        id: row.try_get::<Id<_>, _>("id")?.0,
        external_id: row.try_get("external_id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        attributes: row.try_get::<Json<_>, _>("attributes")?.0,
    })
}

/// Customers with the facts segments filter on (columns kept current on
/// every write, migration 0012); callers add conditions.
pub(super) fn facts_query() -> QueryBuilder<Db> {
    QueryBuilder::<Db>::new(
        "SELECT c.id, c.external_id, c.name, c.email, c.attributes, c.stage, c.response_count AS responses,
           c.last_response_at, c.last_nps, c.last_csat, c.last_ces
         FROM customers c WHERE 1 = 1",
    )
}

/// Sets the customers' `stage` to the kind of their latest lifecycle event
/// (after events were written, in the same transaction).
async fn refresh_stage(conn: &mut super::Conn, customer_ids: &[String]) -> Result<()> {
    for chunk in customer_ids.chunks(500) {
        let mut qb = QueryBuilder::<Db>::new(
            "UPDATE customers SET
               stage = (SELECT e.kind FROM customer_events e WHERE e.customer_id = customers.id
                        ORDER BY e.occurred_at DESC LIMIT 1),
               stage_at = (SELECT MAX(e.occurred_at) FROM customer_events e WHERE e.customer_id = customers.id)
             WHERE id IN (",
        );
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(id.clone());
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await?;
    }
    super::segment_upkeep::mark_pending(conn, customer_ids).await
}

/// The fields `CustomerFacts::value` reads from columns; any other is an attribute.
const FACT_FIELDS: &[&str] =
    &["external_id", "name", "email", "stage", "responses", "last_nps", "last_csat", "last_ces", "last_response_at"];

pub(super) fn decode_facts(r: &super::DbRow) -> Result<CustomerFacts> {
    let score = |k: &str| -> Result<Option<i32>> { r.try_get::<Option<i64>, _>(k)?.map(narrow).transpose() };
    Ok(CustomerFacts {
        customer: decode_customer(r)?,
        stage: r.try_get("stage")?,
        responses: count(r.try_get::<i64, _>("responses")?)?,
        last_response_at: r.try_get::<Option<Ts>, _>("last_response_at")?.map(|t| t.0),
        last_nps: score("last_nps")?,
        last_csat: score("last_csat")?,
        last_ces: score("last_ces")?,
    })
}

#[async_trait]
impl CustomerStore for Backend {
    async fn upsert_customer(&self, c: &CustomerRef) -> Result<cxloop_core::ids::CustomerId> {
        let mut tx = self.write.begin().await?;
        let id = super::responses::upsert_customer(&mut tx, c).await?;
        tx.commit().await?;
        uuid(&id)
    }

    async fn upsert_customers(&self, cs: &[CustomerRef]) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        super::responses::upsert_customers(&mut tx, cs).await?;
        tx.commit().await?;
        Ok(cs.len() as u64)
    }

    async fn customer_by_external_id(&self, external_id: &str) -> Result<Customer> {
        let row = sqlx::query("SELECT id, external_id, name, email, attributes FROM customers WHERE external_id = $1")
            .bind(external_id)
            .fetch_one(&self.read)
            .await?;
        decode_customer(&row)
    }

    async fn count_customers(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers").fetch_one(&self.read).await?;
        Ok(count(n)?)
    }

    async fn customer_facts(&self, after: Option<&str>, limit: u32) -> Result<Vec<CustomerFacts>> {
        let mut qb = facts_query();
        if let Some(a) = after {
            qb.push(" AND c.external_id > ").push_bind(a.to_string());
        }
        qb.push(" ORDER BY c.external_id LIMIT ").push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter().map(decode_facts).collect()
    }

    async fn customer_fact(&self, external_id: &str) -> Result<CustomerFacts> {
        let mut qb = facts_query();
        qb.push(" AND c.external_id = ").push_bind(external_id.to_string());
        let row = qb.build().fetch_one(&self.read).await?;
        decode_facts(&row)
    }

    async fn attribute_defs(&self) -> Result<Vec<AttributeDef>> {
        let rows: Vec<(Json<AttributeDef>,)> =
            sqlx::query_as("SELECT definition FROM customer_attributes ORDER BY key").fetch_all(&self.read).await?;
        Ok(rows.into_iter().map(|(d,)| d.0).collect())
    }

    async fn put_attribute_def(&self, def: &AttributeDef) -> Result<()> {
        sqlx::query(
            "INSERT INTO customer_attributes (key, label, definition, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO UPDATE SET label = excluded.label, definition = excluded.definition",
        )
        .bind(&def.key)
        .bind(&def.label)
        .bind(Json(def))
        .bind(Ts(OffsetDateTime::now_utc()))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn add_customer_event(
        &self,
        customer_id: cxloop_core::ids::CustomerId,
        kind: Lifecycle,
        at: OffsetDateTime,
        note: Option<&str>,
    ) -> Result<cxloop_core::ids::EventId> {
        let id = cxloop_core::ids::EventId::new();
        let mut tx = self.write.begin().await?;
        sqlx::query("INSERT INTO customer_events (id, customer_id, kind, occurred_at, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(Id(id))
        .bind(Id(customer_id))
        .bind(kind.as_str())
        .bind(Ts(at))
        .bind(note)
        .bind(Ts(OffsetDateTime::now_utc()))
        .execute(&mut *tx)
        .await?;
        refresh_stage(&mut tx, &[customer_id.to_string()]).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn add_customer_events(&self, events: &[NewCustomerEvent]) -> Result<u64> {
        // Six parameters a row: 500 rows stay far below either database's limit.
        const ROWS: usize = 500;
        let created = Ts(OffsetDateTime::now_utc());
        let mut tx = self.write.begin().await?;
        let mut written = 0;
        let mut touched = std::collections::BTreeSet::new();
        for chunk in events.chunks(ROWS) {
            let mut qb = QueryBuilder::<Db>::new("WITH v (id, external_id, kind, occurred_at, note, created_at) AS (");
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(Id(cxloop_core::ids::EventId::new()))
                    .push_bind(e.external_id.clone())
                    .push_bind(e.kind.as_str())
                    .push_bind(Ts(e.at))
                    .push_bind(e.note.clone())
                    .push_bind(created);
            });
            qb.push(
                ") INSERT INTO customer_events (id, customer_id, kind, occurred_at, note, created_at) \
                 SELECT v.id, c.id, v.kind, v.occurred_at, v.note, v.created_at \
                 FROM v JOIN customers c ON c.external_id = v.external_id \
                 RETURNING customer_id",
            );
            let ids: Vec<String> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
            written += ids.len() as u64;
            touched.extend(ids);
        }
        let touched: Vec<String> = touched.into_iter().collect();
        refresh_stage(&mut tx, &touched).await?;
        tx.commit().await?;
        Ok(written)
    }

    async fn customer_events(&self, customer_id: cxloop_core::ids::CustomerId) -> Result<Vec<CustomerEvent>> {
        let rows = sqlx::query(
            "SELECT id, kind, occurred_at, note FROM customer_events WHERE customer_id = $1 ORDER BY occurred_at",
        )
        .bind(Id(customer_id))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CustomerEvent {
                    id: r.try_get::<Id<_>, _>("id")?.0,
                    kind: r
                        .try_get::<&str, _>("kind")?
                        .parse()
                        .map_err(|e| StoreError::Other(format!("bad stored lifecycle event: {e}")))?,
                    occurred_at: r.try_get::<Ts, _>("occurred_at")?.0,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    async fn erase_customer(&self, customer_id: cxloop_core::ids::CustomerId, actor: &str) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let id = customer_id.to_string();
        let old: Option<String> = sqlx::query_scalar("SELECT external_id FROM customers WHERE id = $1")
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?;
        if old.is_none() {
            return Err(StoreError::NotFound);
        }
        // Free text: the comment rows, their analyses, and the answers JSON.
        let texts: Vec<(String, String)> = sqlx::query_as("SELECT t.response_id, t.question_key FROM answer_texts t JOIN responses r ON r.id = t.response_id WHERE r.customer_id = $1")
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?;
        for (rid, key) in &texts {
            sqlx::query("UPDATE answer_texts SET body = '[erased]' WHERE response_id = $1 AND question_key = $2")
                .bind(rid)
                .bind(key)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE text_analysis SET reasons = '[]' WHERE response_id = $1 AND question_key = $2")
                .bind(rid)
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        let answers: Vec<(String, Json<serde_json::Value>)> =
            sqlx::query_as("SELECT id, answers FROM responses WHERE customer_id = $1")
                .bind(&id)
                .fetch_all(&mut *tx)
                .await?;
        for (rid, Json(mut v)) in answers {
            if let Some(map) = v.as_object_mut() {
                for (key, a) in map.iter_mut() {
                    if texts.iter().any(|(r, k)| *r == rid && k == key) {
                        *a = serde_json::Value::String("[erased]".into());
                    }
                }
            }
            sqlx::query("UPDATE responses SET answers = $1 WHERE id = $2")
                .bind(Json(v))
                .bind(&rid)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE customers SET external_id = $1, name = NULL, email = NULL, attributes = '{}' WHERE id = $2",
        )
        .bind(format!("erased-{}", customer_id.uuid().simple()))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        super::segment_upkeep::mark_pending(&mut tx, std::slice::from_ref(&id)).await?;
        let detail = serde_json::json!({ "comments_erased": texts.len() });
        super::accounts::audit_in(&mut tx, actor, "customer.erase", &id, &detail).await?;
        tx.commit().await?;
        Ok(texts.len() as u64)
    }

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
        let (first, second) = super::number_attribute_binds(key);
        let rows = sqlx::query(super::qs(format!(
            "SELECT id, value, last_nps FROM (SELECT c.id, {} AS value, c.last_nps FROM customers c) v
             WHERE value IS NOT NULL OR last_nps IS NOT NULL",
            super::NUMBER_ATTRIBUTE
        )))
        .bind(first)
        .bind(second)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<Id<_>, _>("id")?.0,
                    r.try_get::<Option<f64>, _>("value")?,
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
