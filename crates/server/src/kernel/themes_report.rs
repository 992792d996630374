//! Wows & woes: for one survey and period, every theme with its volume,
//! average sentiment, its impact on the survey's headline KPI (responses
//! that mention it against those that do not, with n and a 95% interval),
//! its trend and example comments. Reports name their taxonomy version.

use crate::kernel::report::RangeOut;
use crate::platform::error::AppError;
use crate::state::AppState;
use cxloop_core::ids::ResponseId;
use cxloop_core::period::{DateRange, Interval, fmt_date, parse_date};
use cxloop_core::stats::{self, Difference, Histogram};
use cxloop_core::{QuestionType, Survey};
use cxloop_store::{StoreError, ThemeExample, ThemeMention, ThemeVolume, TimeWindow};
use cxloop_text::Taxonomy;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    pub start: String,
    pub mentions: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThemeRow {
    pub key: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Responses that mention the theme.
    pub mentions: u64,
    /// Mentions as a percentage of all responses in the period.
    pub share: f64,
    pub avg_sentiment: f64,
    /// Headline KPI of responses mentioning the theme minus those that do not.
    pub impact: Option<Difference>,
    pub trend: Vec<TrendPoint>,
    pub examples: Vec<ThemeExample>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    pub question_key: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// What `impact` is measured in.
    pub name: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct WowsWoes {
    pub survey_id: cxloop_core::ids::SurveyId,
    pub taxonomy_version: u32,
    pub range: RangeOut,
    pub interval: Interval,
    pub measure: Option<Measure>,
    /// The segment the report is cut by (absent: every response).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentOut>,
    pub responses: u64,
    /// Free-text answers in the whole installation, and how many are analysed.
    pub texts: u64,
    pub analysed: u64,
    pub wows: Vec<ThemeRow>,
    pub woes: Vec<ThemeRow>,
}

/// The segment a report counts, and how many customers it holds.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentOut {
    pub label: String,
    pub customers: usize,
}

fn impact(kind: QuestionType, with: &Histogram, without: &Histogram) -> Option<Difference> {
    match kind {
        QuestionType::Nps => stats::nps_difference(with, without),
        QuestionType::Csat => stats::share_difference(with, without, 4, 5),
        _ => stats::mean_difference(with, without),
    }
}

fn measure_name(kind: QuestionType) -> &'static str {
    match kind {
        QuestionType::Nps => "NPS points",
        QuestionType::Csat => "CSAT top-2-box points",
        QuestionType::Ces => "CES mean",
        _ => "mean score",
    }
}

/// What a report counts: the baseline histogram of headline scores, the
/// histograms of responses mentioning each theme, mentions per theme per day
/// and per theme volume and sentiment. From SQL aggregates for everyone, or
/// from the raw tagged rows kept to a segment's customers.
struct Counts {
    all: Histogram,
    responses: u64,
    with: HashMap<String, Histogram>,
    days: Vec<(String, String, u64)>,
    volumes: Vec<ThemeVolume>,
    /// The segment's tagged rows, for examples (`None`: everyone).
    mentions: Option<Vec<ThemeMention>>,
}

async fn counts_for_everyone(
    state: &AppState,
    version: u32,
    survey: cxloop_core::ids::SurveyId,
    window: &TimeWindow,
) -> Result<Counts, AppError> {
    let store = state.store.as_ref();
    let mut all = Histogram::new();
    let mut responses = 0;
    for (score, n) in store.headline_counts(survey, window).await? {
        responses += n;
        if let Some(s) = score {
            all.add(s, n);
        }
    }
    let mut with: HashMap<String, Histogram> = HashMap::new();
    for (theme, score, n) in store.theme_score_counts(version, survey, window).await? {
        if let Some(s) = score {
            with.entry(theme).or_default().add(s, n);
        }
    }
    Ok(Counts {
        all,
        responses,
        with,
        days: store.theme_days(version, survey, window).await?,
        volumes: store.theme_volumes(version, survey, window).await?,
        mentions: None,
    })
}

/// The same counts over the responses of `members` only: a response counts
/// once per theme however many of its texts mention it.
async fn counts_for_members(
    state: &AppState,
    version: u32,
    survey: cxloop_core::ids::SurveyId,
    window: &TimeWindow,
    members: &HashSet<cxloop_core::ids::CustomerId>,
) -> Result<Counts, AppError> {
    let store = state.store.as_ref();
    let member = |c: &Option<cxloop_core::ids::CustomerId>| c.is_some_and(|c| members.contains(&c));
    let mut all = Histogram::new();
    let mut responses = 0;
    for (customer, score, n) in store.headline_counts_by_customer(survey, window).await? {
        if member(&customer) {
            responses += n;
            if let Some(s) = score {
                all.add(s, n);
            }
        }
    }
    let mentions: Vec<ThemeMention> =
        store.theme_mentions(version, survey, window).await?.into_iter().filter(|m| member(&m.customer_id)).collect();
    let mut seen: HashSet<(&str, ResponseId)> = HashSet::new();
    let mut with: HashMap<String, Histogram> = HashMap::new();
    let mut days: HashMap<(String, String), u64> = HashMap::new();
    let mut volumes: HashMap<&str, (u64, f64, u64)> = HashMap::new();
    for m in &mentions {
        let v = volumes.entry(&m.theme).or_default();
        v.1 += m.sentiment;
        v.2 += 1;
        if !seen.insert((&m.theme, m.response_id)) {
            continue;
        }
        v.0 += 1;
        if let Some(s) = m.score {
            with.entry(m.theme.clone()).or_default().add(s, 1);
        }
        *days.entry((m.theme.clone(), fmt_date(m.submitted_at.date()))).or_default() += 1;
    }
    let volumes = volumes
        .into_iter()
        .map(|(theme, (n, sum, rows))| ThemeVolume {
            theme: theme.to_string(),
            mentions: n,
            avg_sentiment: if rows == 0 { 0.0 } else { sum / rows as f64 },
        })
        .collect();
    Ok(Counts {
        all,
        responses,
        with,
        days: days.into_iter().map(|((t, d), n)| (t, d, n)).collect(),
        volumes,
        mentions: Some(mentions),
    })
}

/// Up to `limit` example comments of a theme among the segment's rows, the
/// most negative (or positive) first, newest first among equals.
async fn member_examples(
    state: &AppState,
    mentions: &[ThemeMention],
    theme: &str,
    most_negative: bool,
    limit: usize,
) -> Result<Vec<ThemeExample>, AppError> {
    let mut rows: Vec<&ThemeMention> = mentions.iter().filter(|m| m.theme == theme).collect();
    rows.sort_by(|a, b| {
        let by = if most_negative { a.sentiment.total_cmp(&b.sentiment) } else { b.sentiment.total_cmp(&a.sentiment) };
        by.then(b.submitted_at.cmp(&a.submitted_at))
    });
    rows.truncate(limit);
    let ids: Vec<(ResponseId, String)> = rows.iter().map(|m| (m.response_id, m.question_key.clone())).collect();
    let bodies = state.store.text_bodies(&ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            let body = bodies.iter().find(|(id, key, _)| *id == m.response_id && *key == m.question_key)?;
            Some(ThemeExample {
                response_id: m.response_id,
                body: body.2.clone(),
                sentiment: m.sentiment,
                score: m.score,
                submitted_at: m.submitted_at,
            })
        })
        .collect())
}

/// Builds the report for `survey` over `range` under taxonomy `version`
/// (the current one when `None`), over everyone's responses or only those
/// of `members` (a segment).
pub async fn wows_and_woes(
    state: &AppState,
    survey: &Survey,
    range: DateRange,
    interval: Interval,
    version: Option<u32>,
    members: Option<&HashSet<cxloop_core::ids::CustomerId>>,
) -> Result<WowsWoes, AppError> {
    let store = state.store.as_ref();
    let (v, taxonomy) = match version {
        None => crate::kernel::textwork::current_taxonomy(store).await?,
        Some(n) => {
            let v = store.taxonomy(n).await.map_err(|e| match e {
                StoreError::NotFound => AppError::invalid("version", format!("there is no taxonomy version {n}")),
                other => other.into(),
            })?;
            let t: Taxonomy =
                serde_json::from_value(v.taxonomy.clone()).map_err(|e| AppError::Internal(e.to_string()))?;
            (v, t)
        }
    };
    let window =
        TimeWindow { from: Some(range.from.midnight().assume_utc()), to: Some(cxloop_core::period::end_of(range.to)) };
    let headline = survey.headline_question();
    // Progress first: the aggregates read next include at least these analyses,
    // so a report that says "all analysed" counts all of them.
    let (texts, analysed) = store.analysis_progress().await?;
    let counts = match members {
        None => counts_for_everyone(state, v.version, survey.id, &window).await?,
        Some(m) => counts_for_members(state, v.version, survey.id, &window, m).await?,
    };
    let Counts { all, responses, with, days, volumes, mentions } = counts;
    let buckets = interval.buckets(range);
    let mut trends: HashMap<String, Vec<u64>> = HashMap::new();
    for (theme, day, n) in days {
        let Ok(d) = parse_date(&day, "day") else { continue };
        let start = interval.bucket_start(d);
        if let Some(i) = buckets.iter().position(|b| interval.bucket_start(b.from) == start) {
            trends.entry(theme).or_insert_with(|| vec![0; buckets.len()])[i] += n;
        }
    }
    let mut wows = Vec::new();
    let mut woes = Vec::new();
    let mut rows = Vec::new();
    for vol in volumes {
        let theme = taxonomy.themes.iter().find(|t| t.key == vol.theme);
        let imp = headline.and_then(|q| {
            let w = with.get(&vol.theme)?;
            let mut without = Histogram::new();
            for (s, n) in all.iter() {
                without.add(s, n.saturating_sub(w.get(s)));
            }
            impact(q.kind, w, &without)
        });
        let negative = imp.map_or(vol.avg_sentiment < 0.0, |d| d.delta < 0.0);
        let counts = trends.remove(&vol.theme).unwrap_or_else(|| vec![0; buckets.len()]);
        let row = ThemeRow {
            key: vol.theme.clone(),
            name: theme.map_or_else(|| vol.theme.clone(), |t| t.name.clone()),
            parent: theme.and_then(|t| t.parent.clone()),
            mentions: vol.mentions,
            share: if responses == 0 { 0.0 } else { vol.mentions as f64 * 100.0 / responses as f64 },
            avg_sentiment: vol.avg_sentiment,
            impact: imp,
            trend: buckets
                .iter()
                .zip(counts)
                .map(|(b, mentions)| TrendPoint { start: fmt_date(b.from), mentions })
                .collect(),
            examples: Vec::new(),
        };
        rows.push((row, negative));
    }
    // Each theme's examples are a query of their own: asked side by side.
    let examples = futures_util::future::try_join_all(rows.iter().map(|(row, negative)| {
        let (mentions, window) = (&mentions, &window);
        async move {
            match mentions {
                None => Ok(store.theme_examples(v.version, survey.id, window, &row.key, *negative, 3).await?),
                Some(m) => member_examples(state, m, &row.key, *negative, 3).await,
            }
        }
    }))
    .await?;
    for ((mut row, negative), examples) in rows.into_iter().zip(examples) {
        row.examples = examples;
        if negative { woes.push(row) } else { wows.push(row) }
    }
    let key = |r: &ThemeRow| r.impact.map_or(r.avg_sentiment, |d| d.delta);
    woes.sort_by(|a, b| key(a).total_cmp(&key(b)).then(b.mentions.cmp(&a.mentions)).then(a.key.cmp(&b.key)));
    wows.sort_by(|a, b| key(b).total_cmp(&key(a)).then(b.mentions.cmp(&a.mentions)).then(a.key.cmp(&b.key)));
    Ok(WowsWoes {
        survey_id: survey.id,
        taxonomy_version: v.version,
        range: range.into(),
        interval,
        measure: headline.map(|q| Measure { question_key: q.key.clone(), kind: q.kind, name: measure_name(q.kind) }),
        segment: None,
        responses,
        texts,
        analysed,
        wows,
        woes,
    })
}

/// A phrase that comments mention but no theme covers yet.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Emerging {
    pub phrase: String,
    /// Uncovered comments in the period that contain it.
    pub count: u64,
    /// The same in the previous period of equal length.
    pub previous: u64,
    /// `count / previous` (absent when it is new).
    pub growth: Option<f64>,
    pub examples: Vec<String>,
}

/// Words and adjacent word pairs (no function words) of a comment.
fn phrases(text: &str) -> std::collections::BTreeSet<String> {
    let words: Vec<String> = cxloop_text::tokenize::tokenize(text)
        .into_iter()
        .map(|t| match t {
            cxloop_text::tokenize::Token::Word { text, .. } => Some(text),
            _ => None,
        })
        .map(|w| {
            w.filter(|w| {
                w.chars().count() >= 3
                    && !cxloop_text::lexicon::is_stopword(w)
                    && !w.chars().all(|c| c.is_ascii_digit())
            })
        })
        .collect::<Vec<Option<String>>>()
        .into_iter()
        .map(|w| w.unwrap_or_default())
        .collect();
    let mut out = std::collections::BTreeSet::new();
    for (i, w) in words.iter().enumerate() {
        if w.is_empty() {
            continue;
        }
        out.insert(w.clone());
        if let Some(next) = words.get(i + 1).filter(|n| !n.is_empty()) {
            out.insert(format!("{w} {next}"));
        }
    }
    out
}

/// How many uncovered comments of a period emerging phrases count at most
/// (the newest): a period with more is said to be capped.
pub const EMERGING_SAMPLE: u32 = 20_000;

/// Emerging phrases of a period, and what they were counted in.
#[derive(Debug, Clone)]
pub struct EmergingPhrases {
    pub version: u32,
    /// Uncovered comments counted in the period and in the one before.
    pub counted: u64,
    pub previous_counted: u64,
    /// A period had more than [`EMERGING_SAMPLE`] uncovered comments: only
    /// its newest were counted, so counts are of those, not of the period.
    pub capped: bool,
    pub phrases: Vec<Emerging>,
}

/// Phrases in comments that no theme of the current taxonomy covers, with
/// counts, growth against the previous period and examples; most frequent first.
pub async fn emerging(
    state: &AppState,
    survey: &Survey,
    range: DateRange,
    limit: usize,
) -> Result<EmergingPhrases, AppError> {
    let (v, _) = crate::kernel::textwork::current_taxonomy(state.store.as_ref()).await?;
    let win = |r: DateRange| TimeWindow {
        from: Some(r.from.midnight().assume_utc()),
        to: Some(cxloop_core::period::end_of(r.to)),
    };
    // One more than the sample tells whether a period holds more.
    let take = EMERGING_SAMPLE + 1;
    let mut now = state.store.uncovered_texts(v.version, Some(survey.id), &win(range), take).await?;
    let mut before = state.store.uncovered_texts(v.version, Some(survey.id), &win(range.previous()), take).await?;
    let capped = now.len() > EMERGING_SAMPLE as usize || before.len() > EMERGING_SAMPLE as usize;
    now.truncate(EMERGING_SAMPLE as usize);
    before.truncate(EMERGING_SAMPLE as usize);
    let count = |texts: &[cxloop_store::TextRow]| {
        let mut m: HashMap<String, u64> = HashMap::new();
        for t in texts {
            for p in phrases(&t.body) {
                *m.entry(p).or_default() += 1;
            }
        }
        m
    };
    let (cur, prev) = (count(&now), count(&before));
    let mut list: Vec<(String, u64)> = cur.into_iter().filter(|(_, n)| *n >= 3).collect();
    // Pairs first when they are as frequent as their words: "billing portal" says more than "portal".
    list.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.contains(' ').cmp(&a.0.contains(' '))).then(a.0.cmp(&b.0)));
    let mut out: Vec<Emerging> = Vec::new();
    for (phrase, n) in list {
        if out.len() >= limit {
            break;
        }
        // Skip a word already shown inside a pair with (nearly) the same count.
        if !phrase.contains(' ')
            && out.iter().any(|e| e.phrase.split(' ').any(|w| w == phrase) && e.count * 10 >= n * 8)
        {
            continue;
        }
        let previous = prev.get(&phrase).copied().unwrap_or(0);
        let examples =
            now.iter().filter(|t| phrases(&t.body).contains(&phrase)).take(2).map(|t| t.body.clone()).collect();
        out.push(Emerging {
            growth: (previous > 0).then(|| n as f64 / previous as f64),
            phrase,
            count: n,
            previous,
            examples,
        });
    }
    Ok(EmergingPhrases {
        version: v.version,
        counted: now.len() as u64,
        previous_counted: before.len() as u64,
        capped,
        phrases: out,
    })
}

/// A theme made from an emerging phrase: its words become the rule.
pub fn theme_from_phrase(
    taxonomy: &Taxonomy,
    phrase: &str,
    name: Option<&str>,
) -> Result<cxloop_text::Theme, AppError> {
    let phrase = phrase.trim().to_lowercase();
    if phrase.is_empty() || phrase.chars().count() > 100 {
        return Err(AppError::invalid("phrase", "phrase must be 1–100 characters"));
    }
    let base = cxloop_core::survey::slugify(&phrase);
    let mut key = base.clone();
    let mut n = 2;
    while taxonomy.themes.iter().any(|t| t.key == key) {
        key = format!("{base}-{n}");
        n += 1;
    }
    let name = name.map(str::trim).filter(|n| !n.is_empty()).map_or_else(
        || {
            let mut c = phrase.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        },
        str::to_string,
    );
    let (words, phrases) = if phrase.contains(' ') { (vec![], vec![phrase]) } else { (vec![phrase], vec![]) };
    Ok(cxloop_text::Theme { key, name, parent: None, words, phrases, exclude: vec![] })
}
