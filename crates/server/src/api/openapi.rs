//! The OpenAPI document, written by hand beside the handlers and checked
//! against the router's paths by a drift test.

use axum::http::header;
use axum::response::IntoResponse;

pub const DOCUMENT: &str = include_str!("openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_exactly_the_routed_paths() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        let mut documented: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut routed: Vec<&str> = super::super::PATHS.to_vec();
        documented.sort_unstable();
        routed.sort_unstable();
        assert_eq!(documented, routed);
    }

    #[test]
    fn every_reference_resolves() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        let text = DOCUMENT;
        for piece in text.split("\"$ref\": \"#/").skip(1) {
            let path = &piece[..piece.find('"').unwrap()];
            let mut node = &doc;
            for part in path.split('/') {
                node = &node[part];
            }
            assert!(!node.is_null(), "dangling $ref #/{path}");
        }
    }

    /// Every status an operation can answer is listed: a staff operation
    /// can be refused for missing credentials (401) or permission (403);
    /// every operation that touches storage can be unavailable (503); a body
    /// can be too large, of the wrong type or invalid; a path id can be
    /// unknown; a query can be invalid; public posts can be rate limited.
    #[test]
    fn every_operation_lists_every_status_it_can_answer() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        let mut missing = Vec::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                let Some(responses) = op.get("responses").and_then(|r| r.as_object()) else { continue };
                let has = |s: &str| responses.contains_key(s);
                let mut want: Vec<&str> = Vec::new();
                if op.get("x-cxloop-permission").is_some() {
                    want.extend(["401", "403"]);
                }
                if path != "/api/openapi.json" && path != "/widget.js" {
                    want.push("503");
                }
                if op.get("requestBody").is_some() {
                    want.extend(["413", "415", "422"]);
                }
                if path.contains('{') {
                    want.push("404");
                }
                let query = op["parameters"].as_array().into_iter().flatten().any(|p| {
                    p["in"] == "query" || p["$ref"].as_str().is_some_and(|r| r.ends_with("/From") || r.ends_with("/To"))
                });
                if query {
                    want.push("422");
                }
                for s in want {
                    if !has(s) {
                        missing.push(format!("{method} {path}: {s}"));
                    }
                }
                let public_post = ["/api/v1/surveys/{id}/responses", "/api/v1/widget/{id}/responses", "/hooks/{id}"];
                if method == "post" && public_post.contains(&path.as_str()) && !has("429") {
                    missing.push(format!("{method} {path}: 429"));
                }
                // Staff operations inherit the bearer requirement; public ones say so.
                // (`security: []` or an alternative `{}` means no credentials needed.)
                let public = op
                    .get("security")
                    .and_then(|s| s.as_array())
                    .is_some_and(|s| s.is_empty() || s.iter().any(|x| x == &serde_json::json!({})));
                if !public && op.get("x-cxloop-permission").is_none() {
                    missing.push(format!("{method} {path}: a staff operation without x-cxloop-permission"));
                }
            }
        }
        assert!(missing.is_empty(), "undocumented statuses: {missing:#?}");
    }
}
