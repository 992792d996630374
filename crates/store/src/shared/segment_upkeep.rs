// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// The upkeep of saved segments' members and score rollups (the store side of
// the `refresh segments` sweeper), and their exact reads.
//
// Invariant, for a segment whose `members_of` equals its `expression`:
// - `segment_members` holds exactly the customers that matched it when they
//   were last evaluated, and every customer whose facts changed since is in
//   `segment_pending` (the change and the queue row commit together);
// - `segment_daily` holds, per survey, question, day and score, the scores
//   of the counted responses of those members. A response is uncounted
//   (`segment_uncounted`) from its write until the upkeep adds it to its
//   customer's segments, and its customer is pending meanwhile;
// - `segment_themes` holds, per taxonomy version and theme, how many of those
//   members' responses mention the theme, of the tallied (response, version,
//   theme) pairs. A pair is untallied (`segment_untallied`) from its first
//   tag until the upkeep adds it to its customer's segments, and its customer
//   is pending meanwhile (the `segment_themes` module).
// So at any moment: members = stored members − pending + pending that match
// now, and a segment's scores (or theme counts) = its rollup − the counted
// scores (tallied pairs) of its pending stored members + all the scores
// (pairs) of the pending customers that match now. A segment being built holds all this for customers up to
// `built_to`. Upkeep serialises on the segments' rows (`FOR UPDATE` on
// PostgreSQL; the one writer on SQLite), so steps never interleave.

use super::segment_themes::{add_themes, claim_untallied, tallied_pairs};
use super::{Conn, Db};
use crate::codec::{Id, count};
use crate::{CustomerFacts, PENDING_LIMIT, Result};
use cxloop_core::ids::CustomerId;
use cxloop_core::segment::Expr;
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

/// Rows per multi-row statement of member ids.
pub(super) const ROWS: usize = 500;

/// Queues customers whose facts just changed for membership upkeep, in the
/// caller's transaction. A customer already queued is locked, not skipped
/// (`DO UPDATE`, not `DO NOTHING`): on PostgreSQL an upkeep that claims it
/// meanwhile (`SKIP LOCKED`) then leaves it for later, or, if it claimed it
/// first, this insert waits and queues it again, so the change is never
/// claimed by an upkeep that could not see it. Rows are locked in id order,
/// so two writers queueing the same customers cannot deadlock here.
pub(super) async fn mark_pending(conn: &mut Conn, customer_ids: &[String]) -> Result<()> {
    let mut ids = customer_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO segment_pending (customer_id) ");
        qb.push_values(chunk, |mut b, id| {
            b.push_bind(id.clone());
        });
        qb.push(" ON CONFLICT (customer_id) DO UPDATE SET customer_id = excluded.customer_id");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A saved segment as upkeep sees it: its parsed expression (`None` when it
/// does not parse: nobody matches) and how far its members are built.
pub(super) struct Upkeep {
    pub id: String,
    pub expression: String,
    pub expr: Option<Expr>,
    pub built: bool,
    pub built_to: Option<String>,
}

impl Upkeep {
    /// Whether the stored members are kept for this customer.
    pub fn covers(&self, customer_id: &str) -> bool {
        self.built || self.built_to.as_deref().is_some_and(|to| customer_id <= to)
    }

    pub fn matches(&self, f: &CustomerFacts) -> bool {
        self.expr.as_ref().is_some_and(|e| f.matches(e))
    }
}

pub(super) async fn upkeep_rows(conn: &mut Conn, lock: bool) -> Result<Vec<Upkeep>> {
    let rows = sqlx::query(super::qs(format!(
        "SELECT id, expression, members_of, built_to FROM segments ORDER BY id{}",
        if lock { super::FOR_UPDATE } else { "" }
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let expression: String = r.try_get("expression")?;
            let members_of: Option<String> = r.try_get("members_of")?;
            Ok(Upkeep {
                id: r.try_get("id")?,
                expr: cxloop_core::segment::parse(&expression).ok(),
                built: members_of.as_deref() == Some(expression.as_str()),
                expression,
                built_to: r.try_get("built_to")?,
            })
        })
        .collect()
}

/// The facts of the given customers (by id).
pub(super) async fn facts_of(conn: &mut Conn, ids: &[String]) -> Result<Vec<CustomerFacts>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS) {
        let mut qb = super::customers::facts_query();
        qb.push(" AND c.id IN (");
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(id.clone());
        }
        qb.push(")");
        for row in qb.build().fetch_all(&mut *conn).await? {
            out.push(super::customers::decode_facts(&row)?);
        }
    }
    Ok(out)
}

pub(super) async fn insert_members(conn: &mut Conn, rows: &[(String, String)]) -> Result<()> {
    for chunk in rows.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO segment_members (segment_id, customer_id) ");
        qb.push_values(chunk, |mut b, (segment, customer)| {
            b.push_bind(segment.clone()).push_bind(customer.clone());
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A score as the rollup groups it: (survey, question, day, score).
pub(super) type Score = (String, String, String, i64);

/// Counts per customer (or, once contributed, per segment) and rollup key.
pub(super) type Tally<K> = HashMap<(String, K), i64>;

pub(super) fn in_list(qb: &mut QueryBuilder<Db>, ids: &[String]) {
    qb.push("(");
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(id.clone());
    }
    qb.push(")");
}

pub(super) async fn group_scores(qb: &mut QueryBuilder<Db>, conn: &mut Conn, out: &mut Tally<Score>) -> Result<()> {
    for r in qb.build().fetch_all(&mut *conn).await? {
        let key = (
            r.try_get("customer_id")?,
            (r.try_get("survey_id")?, r.try_get("question_key")?, r.try_get("day")?, r.try_get("score")?),
        );
        *out.entry(key).or_default() += r.try_get::<i64, _>("n")?;
    }
    Ok(())
}

pub(super) const SCORES: &str =
    "SELECT r.customer_id, s.survey_id, s.question_key, substr(s.submitted_at, 1, 10) AS day, s.score, COUNT(*) AS n
     FROM responses r CROSS JOIN answer_scores s WHERE s.response_id = r.id";
pub(super) const BY_SCORE: &str =
    " GROUP BY r.customer_id, s.survey_id, s.question_key, substr(s.submitted_at, 1, 10), s.score";

/// The scores of the customers' counted responses.
pub(super) async fn counted_scores(conn: &mut Conn, customers: &[String]) -> Result<Tally<Score>> {
    let mut out = HashMap::new();
    for chunk in customers.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new(SCORES);
        qb.push(" AND NOT EXISTS (SELECT 1 FROM segment_uncounted u WHERE u.customer_id = r.customer_id AND u.response_id = r.id) AND r.customer_id IN ");
        in_list(&mut qb, chunk);
        qb.push(BY_SCORE);
        group_scores(&mut qb, conn, &mut out).await?;
    }
    Ok(out)
}

/// Adds (or, with negative counts, takes away) scores in segments' rollups.
pub(super) async fn add_daily(conn: &mut Conn, adds: Tally<Score>) -> Result<()> {
    let adds: Vec<_> = adds.into_iter().filter(|(_, n)| *n != 0).collect();
    for chunk in adds.chunks(ROWS_DAILY) {
        let mut qb =
            QueryBuilder::<Db>::new("INSERT INTO segment_daily (segment_id, survey_id, question_key, day, score, n) ");
        qb.push_values(chunk, |mut b, ((segment, (survey, key, day, score)), n)| {
            b.push_bind(segment.clone())
                .push_bind(survey.clone())
                .push_bind(key.clone())
                .push_bind(day.clone())
                .push_bind(*score)
                .push_bind(*n);
        });
        qb.push(
            " ON CONFLICT (segment_id, survey_id, question_key, day, score) DO UPDATE SET n = segment_daily.n + excluded.n",
        );
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rows per multi-row rollup statement (six parameters each).
pub(super) const ROWS_DAILY: usize = 400;

/// Adds `sign` × the given customers' counts to each segment they are in.
pub(super) fn contribute<K: Clone + Eq + std::hash::Hash>(
    adds: &mut Tally<K>,
    counts: &Tally<K>,
    segments_of: &HashMap<&str, Vec<&str>>,
    sign: i64,
) {
    for ((customer, key), n) in counts {
        for segment in segments_of.get(customer.as_str()).into_iter().flatten() {
            *adds.entry((segment.to_string(), key.clone())).or_default() += sign * n;
        }
    }
}

/// Evaluates the claimed pending customers against every segment that keeps
/// members for them: membership rows, and the rollups (a customer who left
/// a segment takes its counted scores away, one who joined brings them, and
/// its uncounted responses are counted into the segments it is in now).
pub(super) async fn apply_pending(conn: &mut Conn, segments: &[Upkeep], claimed: &[String]) -> Result<()> {
    let mut old: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    for chunk in claimed.chunks(ROWS) {
        let mut qb =
            QueryBuilder::<Db>::new("SELECT segment_id, customer_id FROM segment_members WHERE customer_id IN ");
        in_list(&mut qb, chunk);
        for r in qb.build().fetch_all(&mut *conn).await? {
            old.insert((r.try_get("segment_id")?, r.try_get("customer_id")?));
        }
    }
    let facts = facts_of(conn, claimed).await?;
    let mut new: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    for f in &facts {
        let id = f.customer.id.to_string();
        for s in segments.iter().filter(|s| s.covers(&id) && s.matches(f)) {
            new.insert((s.id.clone(), id.clone()));
        }
    }
    // Who moved, and their counted scores (read before any is counted below).
    let mut left: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut joined: HashMap<&str, Vec<&str>> = HashMap::new();
    for (s, c) in old.difference(&new) {
        left.entry(c.as_str()).or_default().push(s.as_str());
    }
    for (s, c) in new.difference(&old) {
        joined.entry(c.as_str()).or_default().push(s.as_str());
    }
    let moved: Vec<String> = left
        .keys()
        .chain(joined.keys())
        .map(|c| c.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let (mut adds, mut theme_adds) = (HashMap::new(), HashMap::new());
    if !moved.is_empty() {
        let scores = counted_scores(conn, &moved).await?;
        contribute(&mut adds, &scores, &left, -1);
        contribute(&mut adds, &scores, &joined, 1);
        let pairs = tallied_pairs(conn, &moved).await?;
        contribute(&mut theme_adds, &pairs, &left, -1);
        contribute(&mut theme_adds, &pairs, &joined, 1);
    }
    // Their uncounted responses now count, in the segments they are in now.
    let mut now_in: HashMap<&str, Vec<&str>> = HashMap::new();
    for (s, c) in &new {
        now_in.entry(c.as_str()).or_default().push(s.as_str());
    }
    for chunk in claimed.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM segment_uncounted WHERE customer_id IN ");
        in_list(&mut qb, chunk);
        qb.push(" RETURNING response_id");
        let ids: Vec<String> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
        let mut fresh = HashMap::new();
        for ids in ids.chunks(ROWS) {
            let mut qb = QueryBuilder::<Db>::new(SCORES);
            qb.push(" AND r.id IN ");
            in_list(&mut qb, ids);
            qb.push(BY_SCORE);
            group_scores(&mut qb, conn, &mut fresh).await?;
        }
        contribute(&mut adds, &fresh, &now_in, 1);
    }
    // Their untallied theme pairs too.
    let pairs = claim_untallied(conn, claimed).await?;
    contribute(&mut theme_adds, &pairs, &now_in, 1);
    add_daily(conn, adds).await?;
    add_themes(conn, theme_adds).await?;
    for chunk in claimed.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM segment_members WHERE customer_id IN ");
        in_list(&mut qb, chunk);
        qb.build().execute(&mut *conn).await?;
    }
    let rows: Vec<(String, String)> = new.into_iter().collect();
    insert_members(conn, &rows).await
}

/// Builds the next `limit` customers of a segment being built.
pub(super) async fn build_step(conn: &mut Conn, s: &Upkeep, limit: u32) -> Result<u64> {
    let mut qb = super::customers::facts_query();
    if let Some(after) = &s.built_to {
        qb.push(" AND c.id > ").push_bind(after.clone());
    }
    qb.push(" ORDER BY c.id LIMIT ").push_bind(i64::from(limit));
    let facts: Vec<CustomerFacts> =
        qb.build().fetch_all(&mut *conn).await?.iter().map(super::customers::decode_facts).collect::<Result<_>>()?;
    let rows: Vec<(String, String)> =
        facts.iter().filter(|f| s.matches(f)).map(|f| (s.id.clone(), f.customer.id.to_string())).collect();
    insert_members(conn, &rows).await?;
    let members: Vec<String> = rows.iter().map(|(_, c)| c.clone()).collect();
    let scores = counted_scores(conn, &members).await?;
    let all_in: HashMap<&str, Vec<&str>> = members.iter().map(|c| (c.as_str(), vec![s.id.as_str()])).collect();
    let mut adds = HashMap::new();
    contribute(&mut adds, &scores, &all_in, 1);
    add_daily(conn, adds).await?;
    let pairs = tallied_pairs(conn, &members).await?;
    let mut theme_adds = HashMap::new();
    contribute(&mut theme_adds, &pairs, &all_in, 1);
    add_themes(conn, theme_adds).await?;
    let last = facts.last().map(|f| f.customer.id.to_string());
    if facts.len() < limit as usize {
        sqlx::query("UPDATE segments SET members_of = $1, built_to = NULL WHERE id = $2")
            .bind(&s.expression)
            .bind(&s.id)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query("UPDATE segments SET built_to = $1 WHERE id = $2")
            .bind(last)
            .bind(&s.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(facts.len().max(1) as u64)
}

/// A built segment and the pending customers as a read sees them, in its
/// snapshot: who is pending, which of them are stored members of the
/// segment, and which match it now.
pub(super) struct PendingView {
    pub segment: Upkeep,
    pub ids: Vec<String>,
    pub stored: std::collections::HashSet<String>,
    pub now: std::collections::HashSet<String>,
}

/// Starts a read of a segment's rollups (the caller's transaction takes its
/// snapshot here): `None` when the segment is not built or more than
/// [`PENDING_LIMIT`] customers wait, as for `exact_members`.
pub(super) async fn pending_view(conn: &mut Conn, segment_id: &str) -> Result<Option<PendingView>> {
    if !super::SNAPSHOT.is_empty() {
        sqlx::query(super::SNAPSHOT).execute(&mut *conn).await?;
    }
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM segment_pending").fetch_one(&mut *conn).await?;
    let Some(segment) = upkeep_rows(conn, false).await?.into_iter().find(|s| s.id == segment_id && s.built) else {
        return Ok(None);
    };
    if count(pending)? > PENDING_LIMIT {
        return Ok(None);
    }
    let ids: Vec<String> = sqlx::query_scalar("SELECT customer_id FROM segment_pending").fetch_all(&mut *conn).await?;
    let mut view = PendingView { segment, ids, stored: Default::default(), now: Default::default() };
    if !view.ids.is_empty() {
        view.stored = sqlx::query_scalar(
            "SELECT m.customer_id FROM segment_members m JOIN segment_pending p ON p.customer_id = m.customer_id
             WHERE m.segment_id = $1",
        )
        .bind(segment_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
        view.now = facts_of(conn, &view.ids)
            .await?
            .iter()
            .filter(|f| view.segment.matches(f))
            .map(|f| f.customer.id.to_string())
            .collect();
    }
    Ok(Some(view))
}

/// The exact members of built segments, in one snapshot: stored members not
/// pending, plus pending customers that match now. `None` when too many wait.
pub(super) async fn exact_members(
    conn: &mut Conn,
    only: Option<&str>,
    with_ids: bool,
) -> Result<Option<Vec<(Upkeep, Vec<CustomerId>, u64)>>> {
    if !super::SNAPSHOT.is_empty() {
        sqlx::query(super::SNAPSHOT).execute(&mut *conn).await?;
    }
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM segment_pending").fetch_one(&mut *conn).await?;
    if count(pending)? > PENDING_LIMIT {
        return Ok(None);
    }
    let segments: Vec<Upkeep> =
        upkeep_rows(conn, false).await?.into_iter().filter(|s| s.built && only.is_none_or(|o| o == s.id)).collect();
    let pending_ids: Vec<String> =
        sqlx::query_scalar("SELECT customer_id FROM segment_pending").fetch_all(&mut *conn).await?;
    let pending_facts = facts_of(conn, &pending_ids).await?;
    const KEPT: &str = "FROM segment_members m WHERE m.segment_id = $1
         AND NOT EXISTS (SELECT 1 FROM segment_pending p WHERE p.customer_id = m.customer_id)";
    let mut out = Vec::with_capacity(segments.len());
    for s in segments {
        let matching = pending_facts.iter().filter(|f| s.matches(f)).map(|f| f.customer.id);
        // Sizes are counted by the database; only callers that need the ids read them.
        if with_ids {
            let stored: Vec<Id<CustomerId>> = sqlx::query_scalar(super::qs(format!("SELECT m.customer_id {KEPT}")))
                .bind(&s.id)
                .fetch_all(&mut *conn)
                .await?;
            let mut ids: Vec<CustomerId> = stored.into_iter().map(|i| i.0).collect();
            ids.extend(matching);
            let n = ids.len() as u64;
            out.push((s, ids, n));
        } else {
            let stored: i64 = sqlx::query_scalar(super::qs(format!("SELECT COUNT(*) {KEPT}")))
                .bind(&s.id)
                .fetch_one(&mut *conn)
                .await?;
            let n = count(stored)? + matching.count() as u64;
            out.push((s, Vec::new(), n));
        }
    }
    Ok(Some(out))
}
