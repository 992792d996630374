// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Saved segments' theme counts (`segment_themes`): per segment, taxonomy
// version and theme, how many of its members' responses mention the theme.
// Kept by the segment upkeep under the invariant at the top of
// `segment_upkeep`: a (response, version, theme) pair is untallied from its
// first tag until the upkeep adds it to the segments its customer is in then.

use super::segment_upkeep::{ROWS, Tally, in_list};
use super::{Conn, Db};
use crate::Result;
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

/// A theme pair as the rollup groups it: (taxonomy version, theme).
pub(super) type Pair = (i64, String);

/// A response's first tag with a theme under a version, with its customer:
/// (customer, response, version, theme).
pub(super) type Tagged = (String, String, i64, String);

/// Records pairs just tagged for the first time as untallied and queues
/// their customers for the upkeep, in the tagging transaction.
pub(super) async fn untallied(conn: &mut Conn, pairs: &[Tagged]) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    for chunk in pairs.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO segment_untallied (customer_id, response_id, taxonomy_version, theme) ",
        );
        qb.push_values(chunk, |mut b, (customer, response, version, theme)| {
            b.push_bind(customer.clone()).push_bind(response.clone()).push_bind(*version).push_bind(theme.clone());
        });
        qb.push(" ON CONFLICT DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }
    let customers: Vec<String> = pairs.iter().map(|p| p.0.clone()).collect();
    super::segment_upkeep::mark_pending(conn, &customers).await
}

/// Per customer, version and theme: how many responses mention it, of the
/// selected responses; `tallied` says whether the pair is tallied (1) or not.
const PAIRS: &str = "SELECT r.customer_id, tt.taxonomy_version, tt.theme,
       CAST(CASE WHEN EXISTS (SELECT 1 FROM segment_untallied u WHERE u.customer_id = r.customer_id
         AND u.response_id = r.id AND u.taxonomy_version = tt.taxonomy_version AND u.theme = tt.theme)
       THEN 0 ELSE 1 END AS BIGINT) AS tallied,
       COUNT(DISTINCT tt.response_id) AS n
     FROM responses r CROSS JOIN text_themes tt WHERE tt.response_id = r.id";
const BY_PAIR: &str = " GROUP BY r.customer_id, tt.taxonomy_version, tt.theme, tallied";

/// The customers' pairs: (customer, (version, theme)) → (responses tallied, responses untallied).
async fn pairs_of(
    conn: &mut Conn,
    customers: &[String],
    version: Option<i64>,
) -> Result<HashMap<(String, Pair), (i64, i64)>> {
    let mut out: HashMap<(String, Pair), (i64, i64)> = HashMap::new();
    for chunk in customers.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new(PAIRS);
        if let Some(v) = version {
            qb.push(" AND tt.taxonomy_version = ").push_bind(v);
        }
        qb.push(" AND r.customer_id IN ");
        in_list(&mut qb, chunk);
        qb.push(BY_PAIR);
        for r in qb.build().fetch_all(&mut *conn).await? {
            let key = (r.try_get("customer_id")?, (r.try_get("taxonomy_version")?, r.try_get("theme")?));
            let n: i64 = r.try_get("n")?;
            let e = out.entry(key).or_default();
            if r.try_get::<i64, _>("tallied")? == 1 {
                e.0 += n;
            } else {
                e.1 += n;
            }
        }
    }
    Ok(out)
}

/// The customers' tallied pairs (read before the upkeep tallies more).
pub(super) async fn tallied_pairs(conn: &mut Conn, customers: &[String]) -> Result<Tally<Pair>> {
    Ok(pairs_of(conn, customers, None)
        .await?
        .into_iter()
        .filter(|(_, (tallied, _))| *tallied > 0)
        .map(|(k, (tallied, _))| (k, tallied))
        .collect())
}

/// Takes the customers' untallied pairs off the queue, counted per customer.
pub(super) async fn claim_untallied(conn: &mut Conn, customers: &[String]) -> Result<Tally<Pair>> {
    let mut out: Tally<Pair> = HashMap::new();
    for chunk in customers.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM segment_untallied WHERE customer_id IN ");
        in_list(&mut qb, chunk);
        qb.push(" RETURNING customer_id, taxonomy_version, theme");
        for r in qb.build().fetch_all(&mut *conn).await? {
            *out.entry((r.try_get("customer_id")?, (r.try_get("taxonomy_version")?, r.try_get("theme")?)))
                .or_default() += 1;
        }
    }
    Ok(out)
}

/// Adds (or, with negative counts, takes away) pairs in segments' theme counts.
pub(super) async fn add_themes(conn: &mut Conn, adds: Tally<Pair>) -> Result<()> {
    let adds: Vec<_> = adds.into_iter().filter(|(_, n)| *n != 0).collect();
    for chunk in adds.chunks(ROWS) {
        let mut qb =
            QueryBuilder::<Db>::new("INSERT INTO segment_themes (segment_id, taxonomy_version, theme, responses) ");
        qb.push_values(chunk, |mut b, ((segment, (version, theme)), n)| {
            b.push_bind(segment.clone()).push_bind(*version).push_bind(theme.clone()).push_bind(*n);
        });
        qb.push(
            " ON CONFLICT (segment_id, taxonomy_version, theme) DO UPDATE SET responses = segment_themes.responses + excluded.responses",
        );
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A built segment's theme counts under `version`, exact in the read's
/// snapshot: the rollup, less the tallied pairs of its pending stored
/// members, plus every pair of the pending customers that match now.
pub(super) async fn theme_counts(
    conn: &mut Conn,
    view: &super::segment_upkeep::PendingView,
    version: i64,
) -> Result<HashMap<String, i64>> {
    let mut themes: HashMap<String, i64> = HashMap::new();
    let rows =
        sqlx::query("SELECT theme, responses FROM segment_themes WHERE segment_id = $1 AND taxonomy_version = $2")
            .bind(&view.segment.id)
            .bind(version)
            .fetch_all(&mut *conn)
            .await?;
    for r in rows {
        *themes.entry(r.try_get("theme")?).or_default() += r.try_get::<i64, _>("responses")?;
    }
    for ((customer, (_, theme)), (tallied, untallied)) in pairs_of(conn, &view.ids, Some(version)).await? {
        let e = themes.entry(theme).or_default();
        if view.stored.contains(&customer) {
            *e -= tallied;
        }
        if view.now.contains(&customer) {
            *e += tallied + untallied;
        }
    }
    themes.retain(|_, n| *n > 0);
    Ok(themes)
}
