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
pub(super) const FACT_FIELDS: &[&str] =
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
}
