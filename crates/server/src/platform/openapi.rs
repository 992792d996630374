//! The OpenAPI document, written by hand beside the handlers: the kernel's
//! part in `api/openapi.json`, each feature's in its folder
//! ([`crate::features::Feature::openapi`]), merged once by [`merge`] when
//! the application serves it ([`crate::openapi_document`]). Tests check
//! the served document against the routed paths (each part against its
//! own), its references, its strictness and the statuses each operation
//! can answer.

use serde_json::Value;

/// The kernel's part merged with every feature's: paths and schemas are
/// added, and a name two parts both define is refused.
pub fn merge(kernel: &str, parts: &[(&str, &str)]) -> Result<Value, String> {
    let mut doc: Value = serde_json::from_str(kernel).map_err(|e| format!("kernel: {e}"))?;
    for (name, text) in parts {
        let part: Value = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        for (section, pointer) in [("paths", "/paths"), ("schemas", "/components/schemas")] {
            let Some(from) = part.pointer(pointer).and_then(Value::as_object) else { continue };
            let into = doc.pointer_mut(pointer).and_then(Value::as_object_mut);
            let into = into.ok_or_else(|| format!("kernel has no {section}"))?;
            for (key, value) in from {
                if into.insert(key.clone(), value.clone()).is_some() {
                    return Err(format!("{name}: {section} {key:?} is defined twice"));
                }
            }
        }
    }
    Ok(doc)
}

/// Adds `T`'s generated schema, and those it refers to, to `out`.
pub fn generate<T: utoipa::ToSchema>(out: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
}

/// Puts generated schemas among the document's components. A name the
/// document already defines is refused (one description per name) unless
/// it is in `written`: schemas kept as written because they are request
/// bodies too, each held to its type by a test; the same schema reached
/// twice is kept once.
pub fn add_generated(
    doc: &mut Value,
    schemas: Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>,
    written: &[&str],
) -> Result<(), String> {
    let into = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut);
    let into = into.ok_or("the document has no components.schemas")?;
    for (name, schema) in schemas {
        let schema = serde_json::to_value(schema).map_err(|e| format!("{name}: {e}"))?;
        match into.get(&name) {
            Some(_) if written.contains(&name.as_str()) => {}
            Some(existing) if *existing != schema => {
                return Err(format!("schemas {name:?} is both written in the document and generated"));
            }
            Some(_) => {}
            None => {
                into.insert(name, schema);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_exactly_the_routed_paths() {
        let doc: serde_json::Value = serde_json::from_str(crate::openapi_document().unwrap()).unwrap();
        let mut documented: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut routed: Vec<&str> = crate::api::PATHS.to_vec();
        for f in crate::features::ALL {
            routed.extend(f.api_paths);
        }
        documented.sort_unstable();
        routed.sort_unstable();
        assert_eq!(documented, routed);
    }

    /// Each part documents its own paths: the kernel's the kernel's, each
    /// feature's exactly the paths it routes.
    #[test]
    fn each_part_documents_exactly_its_own_paths() {
        let paths = |text: &str| {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            let mut p: Vec<String> = v["paths"].as_object().unwrap().keys().cloned().collect();
            p.sort_unstable();
            p
        };
        let mut kernel: Vec<String> = crate::api::PATHS.iter().map(|p| p.to_string()).collect();
        kernel.sort_unstable();
        assert_eq!(paths(crate::KERNEL_OPENAPI), kernel, "kernel");
        for f in crate::features::ALL {
            let mut own: Vec<String> = f.api_paths.iter().map(|p| p.to_string()).collect();
            own.sort_unstable();
            assert_eq!(paths(f.openapi), own, "{}", f.name);
        }
    }

    #[test]
    fn merging_refuses_a_name_defined_twice() {
        let part = r#"{"paths": {"/api/v1/surveys": {}}}"#;
        let e = merge(crate::KERNEL_OPENAPI, &[("clash", part)]).unwrap_err();
        assert!(e.contains("\"/api/v1/surveys\" is defined twice"), "{e}");
        let part = r#"{"paths": {}, "components": {"schemas": {"Submission": {}}}}"#;
        assert!(merge(crate::KERNEL_OPENAPI, &[("clash", part)]).unwrap_err().contains("schemas \"Submission\""));
    }

    #[test]
    fn a_generated_schema_may_not_redefine_a_written_one() {
        #[derive(serde::Serialize, utoipa::ToSchema)]
        #[schema(as = Error)]
        #[allow(dead_code)]
        struct Other {
            something_else: String,
        }
        let mut doc: Value = serde_json::from_str(crate::KERNEL_OPENAPI).unwrap();
        let mut schemas = Vec::new();
        generate::<Other>(&mut schemas);
        let e = add_generated(&mut doc, schemas.clone(), &[]).unwrap_err();
        assert!(e.contains("\"Error\" is both written"), "{e}");
        add_generated(&mut doc, schemas, &["Error"]).unwrap();
        assert!(doc["components"]["schemas"]["Error"]["properties"].get("error").is_some(), "the written one stays");
    }

    #[test]
    fn every_reference_resolves() {
        let doc: serde_json::Value = serde_json::from_str(crate::openapi_document().unwrap()).unwrap();
        let text = crate::openapi_document().unwrap();
        for piece in text.split("\"$ref\": \"#/").skip(1) {
            let path = &piece[..piece.find('"').unwrap()];
            let mut node = &doc;
            for part in path.split('/') {
                node = &node[part];
            }
            assert!(!node.is_null(), "dangling $ref #/{path}");
        }
    }

    /// Resolves a local `$ref` to the node it names.
    fn resolve<'a>(doc: &'a serde_json::Value, node: &'a serde_json::Value) -> &'a serde_json::Value {
        match node.get("$ref").and_then(|r| r.as_str()) {
            Some(r) => r.trim_start_matches("#/").split('/').fold(doc, |n, part| &n[part]),
            None => node,
        }
    }

    /// Every object schema a request body can hold, with where it sits.
    fn request_objects<'a>(
        doc: &'a serde_json::Value,
        node: &'a serde_json::Value,
        at: String,
        out: &mut Vec<(String, &'a serde_json::Value)>,
    ) {
        let node = resolve(doc, node);
        if node.get("properties").is_some() {
            out.push((at.clone(), node));
            for (name, p) in node["properties"].as_object().unwrap() {
                request_objects(doc, p, format!("{at}.{name}"), out);
            }
        }
        if let Some(items) = node.get("items") {
            request_objects(doc, items, format!("{at}[]"), out);
        }
        // `anyOf`/`oneOf` branches only add constraints to the object they sit in.
        for sub in node["allOf"].as_array().into_iter().flatten() {
            request_objects(doc, sub, at.clone(), out);
        }
    }

    /// The document is as strict as the handlers: every object a request
    /// body holds says whether other fields are allowed (the handlers refuse
    /// unknown fields, so a schema that left it open would promise more than
    /// they take). A persona's input says `true` itself (a persona read from
    /// the API may be sent back as it is), as does an inbound webhook's
    /// event: senders post their own payloads.
    #[test]
    fn every_request_object_says_whether_other_fields_are_allowed() {
        let doc: serde_json::Value = serde_json::from_str(crate::openapi_document().unwrap()).unwrap();
        let mut objects = Vec::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                for (media, content) in op["requestBody"]["content"].as_object().into_iter().flatten() {
                    if media == "application/json" {
                        request_objects(&doc, &content["schema"], format!("{method} {path}"), &mut objects);
                    }
                }
            }
        }
        assert!(objects.len() > 20, "found only {} request objects", objects.len());
        let undeclared: Vec<&String> =
            objects.iter().filter(|(_, o)| o.get("additionalProperties").is_none()).map(|(at, _)| at).collect();
        assert!(undeclared.is_empty(), "request objects without additionalProperties: {undeclared:#?}");
    }

    /// The handlers read an empty query parameter as a missing one
    /// (`query::parse_query`); the document says so for every optional one.
    #[test]
    fn every_optional_query_parameter_allows_an_empty_value() {
        let doc: serde_json::Value = serde_json::from_str(crate::openapi_document().unwrap()).unwrap();
        let mut missing = Vec::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (key, item) in ops.as_object().unwrap() {
                let params = if key == "parameters" { item } else { &item["parameters"] };
                for p in params.as_array().into_iter().flatten() {
                    let p = resolve(&doc, p);
                    if p["in"] == "query" && p["required"] != true && p["allowEmptyValue"] != true {
                        missing.push(format!("{key} {path}: {}", p["name"]));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "query parameters without allowEmptyValue: {missing:#?}");
    }

    /// Every status an operation can answer is listed: a staff operation
    /// can be refused for missing credentials (401) or permission (403);
    /// every operation that touches storage can be unavailable (503); a body
    /// can be too large, of the wrong type or invalid; a path id can be
    /// unknown; a query can be invalid; public posts can be rate limited.
    #[test]
    fn every_operation_lists_every_status_it_can_answer() {
        let doc: serde_json::Value = serde_json::from_str(crate::openapi_document().unwrap()).unwrap();
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
