//! Text analytics in the background: every worker sweeps free-text answers
//! that have no analysis yet, scores their sentiment and tags their themes
//! under the current taxonomy version. The response POST never waits for
//! it; a text analysed by two processes at once keeps the first result.

use cxloop_store::{Store, StoreError, TaxonomyVersion, TextAnalysis};
use cxloop_text::{Analyzer, Label, Matcher, Taxonomy};
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
