//! Text analytics in the background: every worker sweeps free-text answers
//! that have no analysis yet, scores their sentiment and tags their themes
//! under the current taxonomy version. The response POST never waits for
//! it; a text analysed by two processes at once keeps the first result.

use crate::platform::error::AppError;
use crate::platform::query::Limit;
use crate::state::AppState;
use cxloop_store::{CommentFilter, Store, StoreError, TaxonomyVersion, TextAnalysis, TimeWindow};
use cxloop_text::{Analyzer, Label, Matcher, Taxonomy, Theme};
use serde::Deserialize;
use std::sync::Arc;

/// The current taxonomy (stored as version 1 from the default on first use).
pub async fn current_taxonomy(store: &dyn Store) -> Result<(TaxonomyVersion, Taxonomy), StoreError> {
    let v = match store.current_taxonomy().await? {
        Some(v) => v,
        None => {
            let default = serde_json::to_value(Taxonomy::default_cx()).map_err(StoreError::from)?;
            store.init_taxonomy(&default).await?
        }
    };
    let tax: Taxonomy = serde_json::from_value(v.taxonomy.clone()).map_err(StoreError::from)?;
    Ok((v, tax))
}

/// A compiled taxonomy, kept while its version is current.
pub struct Tagger {
    version: u32,
    taxonomy: Taxonomy,
    matcher: Matcher,
}

impl Tagger {
    pub async fn load(store: &dyn Store) -> Result<Tagger, StoreError> {
        let (v, taxonomy) = current_taxonomy(store).await?;
        let matcher = taxonomy.compile();
        Ok(Tagger { version: v.version, taxonomy, matcher })
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// Theme keys (children and their parents) of a text.
    pub fn themes(&self, indexes: &[usize]) -> Vec<String> {
        indexes.iter().filter_map(|&i| self.taxonomy.themes.get(i).map(|t| t.key.clone())).collect()
    }
}

/// Analyses up to `limit` waiting texts; returns how many it saved.
pub async fn analyse_pending(
    store: &Arc<dyn Store>,
    analyzer: &Analyzer,
    tagger: &mut Option<Tagger>,
    limit: u32,
) -> Result<usize, StoreError> {
    let texts = store.unanalysed_texts(limit).await?;
    if texts.is_empty() {
        return Ok(0);
    }
    let current = store.current_taxonomy().await?.map(|v| v.version);
    if tagger.as_ref().map(Tagger::version) != current || tagger.is_none() {
        *tagger = Some(Tagger::load(store.as_ref()).await?);
    }
    let Some(t) = tagger.as_ref() else { return Ok(0) };
    let rows: Vec<TextAnalysis> = texts
        .iter()
        .map(|text| {
            let (s, idx) = analyzer.analyze_with_themes(&text.body, Some(&t.matcher));
            TextAnalysis {
                response_id: text.response_id,
                question_key: text.question_key.clone(),
                survey_id: text.survey_id,
                submitted_at: text.submitted_at,
                language: s.language.to_string(),
                label: s.label.as_str().to_string(),
                sentiment: f64::from(s.score),
                reasons: serde_json::to_value(&s.reasons).unwrap_or_default(),
                themes: if s.label == Label::NotAnalysed { Vec::new() } else { t.themes(&idx) },
            }
        })
        .collect();
    store.save_analyses(t.version, &rows).await?;
    Ok(rows.len())
}

/// Validates and stores a new taxonomy version, then queues the re-tagging
/// of every stored comment under it. Returns the version and the job id.
pub async fn save_taxonomy(
    store: &dyn Store,
    taxonomy: &Taxonomy,
    note: Option<&str>,
    by: Option<&str>,
) -> Result<(TaxonomyVersion, cxloop_core::ids::JobId), crate::platform::error::AppError> {
    taxonomy.validate().map_err(|e| crate::platform::error::AppError::invalid(e.field.clone(), e.message.clone()))?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(crate::platform::error::AppError::invalid("note", "note is longer than 500 characters"));
    }
    let json = serde_json::to_value(taxonomy).map_err(|e| crate::platform::error::AppError::Internal(e.to_string()))?;
    let v = store.save_taxonomy(&json, note, by).await?;
    let job = crate::platform::jobs::enqueue::<Retag>(
        store,
        &RetagPayload { version: v.version },
        time::OffsetDateTime::now_utc(),
        5,
    )
    .await?;
    Ok((v, job))
}

/// The job that re-tags every stored comment under a new taxonomy version.
pub struct Retag;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetagPayload {
    pub version: u32,
}

#[async_trait::async_trait]
impl crate::platform::jobs::JobKind for Retag {
    const KIND: &'static str = "retag";
    type Payload = RetagPayload;

    async fn run(&self, ctx: &crate::platform::jobs::JobContext, p: RetagPayload, _: u32) -> Result<(), String> {
        let started = std::time::Instant::now();
        let n = retag(ctx.store.as_ref(), p.version).await.map_err(|e| e.to_string())?;
        tracing::info!(version = p.version, comments = n, secs = started.elapsed().as_secs_f64(), "re-tagged comments");
        Ok(())
    }
}

/// The sweeper that analyses comments waiting for sentiment and themes,
/// 2,000 at a time (one transaction each), keeping the compiled taxonomy
/// between sweeps.
#[derive(Default)]
pub struct AnalysePending {
    analyzer: Analyzer,
    tagger: tokio::sync::Mutex<Option<Tagger>>,
}

#[async_trait::async_trait]
impl crate::platform::jobs::Sweeper for AnalysePending {
    fn name(&self) -> &'static str {
        "analyse comments"
    }

    fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(250)
    }

    async fn sweep(&self, ctx: &crate::platform::jobs::JobContext) -> Result<usize, String> {
        let mut tagger = self.tagger.lock().await;
        analyse_pending(&ctx.store, &self.analyzer, &mut tagger, 2000).await.map_err(|e| e.to_string())
    }
}

/// Re-tags every stored comment under taxonomy `version`, a page at a time.
/// Returns how many comments it went through.
pub async fn retag(store: &dyn Store, version: u32) -> Result<u64, StoreError> {
    let v = store.taxonomy(version).await?;
    let tax: Taxonomy = serde_json::from_value(v.taxonomy).map_err(StoreError::from)?;
    let matcher = tax.compile();
    let mut after = None;
    let mut n = 0;
    loop {
        let page = store.texts_after(after.clone(), 5000).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.response_id, last.question_key.clone()));
        let full = page.len() == 5000;
        let rows: Vec<_> = page
            .into_iter()
            .map(|t| {
                let themes = if cxloop_text::lang::detect(&t.body) == "en" {
                    matcher.tag(&t.body).into_iter().filter_map(|i| tax.themes.get(i).map(|x| x.key.clone())).collect()
                } else {
                    Vec::new()
                };
                (t, themes)
            })
            .collect();
        n += rows.len() as u64;
        store.save_themes(version, &rows).await?;
        if !full {
            break;
        }
    }
    Ok(n)
}

/// A taxonomy version as a query gives it (`?version=`; blank is the current one).
pub fn parse_version(v: Option<&str>) -> Result<Option<u32>, AppError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| AppError::invalid("version", "version must be a whole number")),
    }
}

/// The comment explorer's filter as a query string gives it (the API and
/// the Comments page alike).
#[derive(Debug, Default, Deserialize)]
pub struct CommentsQuery {
    pub survey_id: Option<String>,
    pub theme: Option<String>,
    pub label: Option<String>,
    pub min_score: Option<String>,
    pub max_score: Option<String>,
    pub q: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub version: Option<String>,
    #[serde(default)]
    pub limit: Limit<500>,
    pub channel: Option<String>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl CommentsQuery {
    /// The store filter, with every bad value named.
    pub async fn filter(&self, state: &AppState) -> Result<CommentFilter, AppError> {
        let survey_id = blank(&self.survey_id)
            .map(|s| {
                s.parse::<cxloop_core::ids::SurveyId>()
                    .map_err(|_| AppError::invalid("survey_id", "survey_id is not a survey id"))
            })
            .transpose()?;
        let label = blank(&self.label).map(str::to_string);
        if let Some(l) = &label
            && !["positive", "neutral", "negative", "not_analysed"].contains(&l.as_str())
        {
            return Err(AppError::invalid("label", "label must be positive, neutral, negative or not_analysed"));
        }
        let score = |s: &Option<String>, f: &'static str| {
            blank(s)
                .map(|v| v.parse::<i32>().map_err(|_| AppError::invalid(f, format!("{f} must be a whole number"))))
                .transpose()
        };
        let version = match parse_version(self.version.as_deref())? {
            Some(v) => v,
            None => crate::kernel::textwork::current_taxonomy(state.store.as_ref()).await?.0.version,
        };
        let day = |s: &Option<String>, f: &'static str| {
            blank(s)
                .map(|v| cxloop_core::period::parse_date(v, f).map_err(|e| AppError::invalid(f, e.to_string())))
                .transpose()
        };
        let window = TimeWindow {
            from: day(&self.from, "from")?.map(|d| d.midnight().assume_utc()),
            to: day(&self.to, "to")?.map(cxloop_core::period::end_of),
        };
        let contains = blank(&self.q).map(str::to_string);
        if contains.as_ref().is_some_and(|c| c.chars().count() > 200) {
            return Err(AppError::invalid("q", "search text is longer than 200 characters"));
        }
        Ok(CommentFilter {
            survey_id,
            window,
            theme: blank(&self.theme).map(str::to_string),
            version,
            label,
            min_score: score(&self.min_score, "min_score")?,
            max_score: score(&self.max_score, "max_score")?,
            contains,
            channel: blank(&self.channel).map(str::to_string),
            limit: self.limit.get(),
        })
    }
}

/// Adds a theme made from a phrase as a new taxonomy version.
pub async fn add_theme_from_phrase(
    state: &AppState,
    by: &str,
    phrase: &str,
    name: Option<&str>,
) -> Result<(u32, cxloop_core::ids::JobId, Theme), AppError> {
    let (_, mut tax) = crate::kernel::textwork::current_taxonomy(state.store.as_ref()).await?;
    let theme = crate::kernel::themes_report::theme_from_phrase(&tax, phrase, name)?;
    tax.themes.push(theme.clone());
    let note = format!("added theme {:?} from an emerging phrase", theme.name);
    let (v, job) = crate::kernel::textwork::save_taxonomy(state.store.as_ref(), &tax, Some(&note), Some(by)).await?;
    Ok((v.version, job, theme))
}
