// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Conn` and `migration_sql` are defined.
//
// The migration runner: each pending migration in its own transaction,
// recorded in `cxloop_migrations`. PostgreSQL calls it under an advisory lock.

use crate::Result;

pub(super) async fn apply(conn: &mut super::Conn) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS cxloop_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    for m in crate::migrations::MIGRATIONS {
        let (version, name, sql) = (m.version, m.name, super::migration_sql(m));
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let done: Option<i64> = sqlx::query_scalar("SELECT version FROM cxloop_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            continue;
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO cxloop_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(version)
            .bind(name)
            .bind(crate::codec::Ts(time::OffsetDateTime::now_utc()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}
