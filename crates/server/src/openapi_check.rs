//! The response types against the OpenAPI document: each type the API
//! answers with derives its schema from its code (utoipa), and this test
//! holds the hand-written document to it: the same properties, the same
//! required ones, compatible types and the same enum values, all the way
//! down. schemathesis then holds the live answers to the document, so the
//! code, the document and the answers cannot drift apart.
//!
//! The document stays written by hand because its request schemas carry
//! what the code checks at run time (patterns, lengths, bounds) and its
//! prose; the generated side is the truth about shapes.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// A generated schema with the named schemas it refers to.
struct Generated {
    root: Value,
    components: BTreeMap<String, Value>,
}

fn generated<T: ToSchema>() -> Generated {
    let mut named = Vec::new();
    T::schemas(&mut named);
    let components = named.into_iter().map(|(name, s)| (name, serde_json::to_value(s).unwrap())).collect();
    Generated { root: serde_json::to_value(T::schema()).unwrap(), components }
}

/// A schema reduced to what the comparison looks at: `$ref`s followed,
/// `allOf` merged (how `#[serde(flatten)]` comes out), nullability
/// dropped (either spelling: a `"null"` type or a `oneOf` with a null arm).
#[derive(Debug, Default)]
struct Shape {
    types: BTreeSet<String>,
    properties: BTreeMap<String, Value>,
    required: BTreeSet<String>,
    items: Option<Value>,
    enumeration: Option<BTreeSet<String>>,
}

fn shape(schema: &Value, lookup: &dyn Fn(&str) -> Option<Value>) -> Shape {
    let mut out = Shape::default();
    add(&mut out, schema, lookup, 0);
    out
}

fn add(out: &mut Shape, schema: &Value, lookup: &dyn Fn(&str) -> Option<Value>, depth: usize) {
    assert!(depth < 32, "a schema that refers to itself: {schema}");
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = lookup(r).unwrap_or_else(|| panic!("unresolved reference {r}"));
        return add(out, &target, lookup, depth + 1);
    }
    if let Some(arms) = schema.get("allOf").and_then(Value::as_array) {
        for arm in arms {
            add(out, arm, lookup, depth + 1);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(arms) = schema.get(key).and_then(Value::as_array) {
            let arms: Vec<&Value> = arms.iter().filter(|a| a.get("type") != Some(&Value::from("null"))).collect();
            // A union (a tagged enum: one arm per variant) is compared as
            // the object any arm can be: every arm's properties, required
            // what every arm requires, each tag's values united.
            let mut union: Option<Shape> = None;
            for arm in arms {
                let mut one = Shape::default();
                add(&mut one, arm, lookup, depth + 1);
                union = Some(match union {
                    None => one,
                    Some(mut u) => {
                        u.types.extend(one.types);
                        for (k, v) in one.properties {
                            // A property of several arms is any of its arms' schemas.
                            let merged = match u.properties.remove(&k) {
                                Some(seen) if seen != v => serde_json::json!({ "anyOf": [seen, v] }),
                                _ => v,
                            };
                            u.properties.insert(k, merged);
                        }
                        u.required.retain(|r| one.required.contains(r));
                        u.items = u.items.or(one.items);
                        u.enumeration = match (u.enumeration, one.enumeration) {
                            (Some(mut a), Some(b)) => {
                                a.extend(b);
                                Some(a)
                            }
                            (a, b) => a.or(b),
                        };
                        u
                    }
                });
            }
            if let Some(u) = union {
                out.types.extend(u.types);
                out.properties.extend(u.properties);
                out.required.extend(u.required);
                out.items = out.items.take().or(u.items);
                out.enumeration = out.enumeration.take().or(u.enumeration);
            }
        }
    }
    match schema.get("type") {
        Some(Value::String(t)) if t != "null" => {
            out.types.insert(t.clone());
        }
        Some(Value::Array(ts)) => {
            out.types.extend(ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").map(str::to_string));
        }
        _ => {}
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.properties.extend(props.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        out.required.extend(req.iter().filter_map(Value::as_str).map(str::to_string));
    }
    if let Some(items) = schema.get("items") {
        out.items = Some(items.clone());
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values = values.iter().filter(|v| !v.is_null()).map(|v| v.to_string()).collect();
        out.enumeration = Some(values);
    }
}

/// Differences between the document's schema and the generated one, each
/// named by where it is (`Survey.questions[].type`).
fn compare(
    at: &str,
    doc: &Value,
    doc_lookup: &dyn Fn(&str) -> Option<Value>,
    code: &Value,
    code_lookup: &dyn Fn(&str) -> Option<Value>,
    out: &mut Vec<String>,
) {
    let (d, c) = (shape(doc, doc_lookup), shape(code, code_lookup));
    let number = |t: &BTreeSet<String>| t.iter().all(|t| t == "number" || t == "integer");
    let agree = d.types == c.types || number(&d.types) && number(&c.types);
    if !d.types.is_empty() && !c.types.is_empty() && !agree {
        out.push(format!("{at}: the document says {:?}, the code {:?}", d.types, c.types));
    }
    if let (Some(de), Some(ce)) = (&d.enumeration, &c.enumeration)
        && de != ce
    {
        out.push(format!("{at}: the document's values {de:?}, the code's {ce:?}"));
    }
    let (dk, ck): (BTreeSet<&String>, BTreeSet<&String>) =
        (d.properties.keys().collect(), c.properties.keys().collect());
    // A free-form object in the code (a JSON value it passes through) may
    // be described more closely by the document.
    let free_form = c.properties.is_empty()
        && c.items.is_none()
        && c.enumeration.is_none()
        && c.types.iter().all(|t| t == "object");
    if !free_form && (!d.properties.is_empty() || !c.properties.is_empty()) {
        for k in ck.difference(&dk) {
            out.push(format!("{at}.{k}: answered by the code, missing from the document"));
        }
        for k in dk.difference(&ck) {
            out.push(format!("{at}.{k}: in the document, never answered by the code"));
        }
        if d.required != c.required {
            out.push(format!("{at}: the document requires {:?}, the code always sends {:?}", d.required, c.required));
        }
    }
    for k in dk.intersection(&ck) {
        compare(&format!("{at}.{k}"), &d.properties[*k], doc_lookup, &c.properties[*k], code_lookup, out);
    }
    if let (Some(di), Some(ci)) = (&d.items, &c.items) {
        compare(&format!("{at}[]"), di, doc_lookup, ci, code_lookup, out);
    }
}

/// The JSON pointer of an operation's answer schema.
fn answer(path: &str, method: &str, status: &str) -> String {
    let path = path.replace('~', "~0").replace('/', "~1");
    format!("/paths/{path}/{method}/responses/{status}/content/application~1json/schema")
}

fn check<T: ToSchema>(doc: &Value, pointer: &str, out: &mut Vec<String>) {
    let g = generated::<T>();
    let schema = doc.pointer(pointer).unwrap_or_else(|| panic!("the document has nothing at {pointer}"));
    let doc_lookup = |r: &str| r.strip_prefix('#').and_then(|p| doc.pointer(p)).cloned();
    let code_lookup = |r: &str| r.strip_prefix("#/components/schemas/").and_then(|n| g.components.get(n)).cloned();
    compare(&T::name(), schema, &doc_lookup, &g.root, &code_lookup, out);
}

#[test]
fn the_document_describes_what_the_code_answers() {
    use crate::api;
    let doc: Value = serde_json::from_str(crate::openapi_document().unwrap()).unwrap();
    let mut out = Vec::new();
    check::<api::surveys::SurveyResponse>(&doc, "/components/schemas/Survey", &mut out);
    check::<api::surveys::SurveyList>(&doc, &answer(api::SURVEYS, "get", "200"), &mut out);
    check::<api::surveys::SignedLink>(&doc, &answer(api::SURVEY_LINKS, "post", "200"), &mut out);
    check::<cxloop_store::StoredResponse>(&doc, "/components/schemas/Response", &mut out);
    check::<api::responses::ResponsePage>(&doc, &answer(api::RESPONSES, "get", "200"), &mut out);
    check::<crate::platform::error::ErrorBody>(&doc, "/components/schemas/Error", &mut out);
    check::<cxloop_store::Persona>(&doc, "/components/schemas/Persona", &mut out);
    check::<cxloop_store::Customer>(&doc, &answer(api::CUSTOMER, "put", "200"), &mut out);
    check::<api::customers::CustomerList>(&doc, &answer(api::CUSTOMERS, "get", "200"), &mut out);
    check::<api::customers::CustomerDetail>(&doc, &answer(api::CUSTOMER, "get", "200"), &mut out);
    check::<api::customers::SegmentList>(&doc, &answer(api::SEGMENTS, "get", "200"), &mut out);
    check::<cxloop_store::Segment>(&doc, &answer(api::SEGMENTS, "post", "201"), &mut out);
    check::<cxloop_store::Segment>(&doc, &answer(api::SEGMENT, "put", "200"), &mut out);
    check::<api::customers::SegmentDetail>(&doc, &answer(api::SEGMENT, "get", "200"), &mut out);
    check::<api::customers::SegmentPreview>(&doc, &answer(api::SEGMENT_PREVIEW, "post", "200"), &mut out);
    check::<api::text::ThemeAdded>(&doc, &answer(api::TAXONOMY_THEMES, "post", "201"), &mut out);
    check::<cxloop_core::metrics::Measure>(&doc, "/components/schemas/Measure", &mut out);
    assert!(out.is_empty(), "the document and the code disagree:\n{}", out.join("\n"));
}

/// The schemas the document keeps as written though the code generates
/// them are each held to their type above.
#[test]
fn every_written_schema_the_code_also_generates_is_checked() {
    let source = include_str!("openapi_check.rs");
    for name in crate::WRITTEN_SCHEMAS {
        let pointer = format!("\"/components/schemas/{name}\"");
        assert!(source.contains(&pointer), "{name} is kept as written but not checked here");
    }
}

#[test]
fn a_difference_is_found_and_named() {
    #[derive(serde::Serialize, utoipa::ToSchema)]
    #[allow(dead_code)]
    struct Probe {
        id: String,
        n: Option<u32>,
        tags: Vec<String>,
        /// Passed through as it is: the document may describe it closer.
        #[schema(value_type = Object)]
        extra: Value,
    }
    let doc = serde_json::json!({ "s": {
        "type": "object",
        "required": ["id", "extra"],
        "properties": {
            "id": { "type": "integer" },
            "n": { "type": ["integer", "null"] },
            "tags": { "type": "array", "items": { "type": "string" } },
            "gone": { "type": "string" },
            "extra": { "type": "object", "required": ["a"], "properties": { "a": { "type": "string" } } }
        }
    }});
    let mut out = Vec::new();
    check::<Probe>(&doc, "/s", &mut out);
    out.sort();
    assert_eq!(out.len(), 3, "{out:#?}");
    assert!(out.iter().any(|e| e.contains("Probe.gone: in the document, never answered")), "{out:#?}");
    assert!(out.iter().any(|e| e.contains("requires") && e.contains("\"tags\"")), "{out:#?}");
    assert!(
        !out.iter().any(|e| e.contains("Probe.extra")),
        "a free-form value is not held to its description: {out:#?}"
    );
    assert!(out.iter().any(|e| e.starts_with("Probe.id: the document says {\"integer\"}")), "{out:#?}");
}

/// A tagged enum (one `oneOf` arm per variant) is compared as the object
/// any arm can be: a tag value or a variant's field the document lacks is
/// found, and a document describing the union as one object agrees.
#[test]
fn a_tagged_union_is_compared_as_the_object_its_arms_make() {
    #[derive(serde::Serialize, utoipa::ToSchema)]
    #[serde(tag = "type", rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Shape {
        Dot,
        Circle { radius: f64 },
    }
    let object = |kinds: serde_json::Value, props: serde_json::Value| {
        let mut properties = serde_json::json!({ "type": { "type": "string", "enum": kinds } });
        properties.as_object_mut().unwrap().extend(props.as_object().unwrap().clone());
        serde_json::json!({ "s": { "type": "object", "required": ["type"], "properties": properties } })
    };
    let agrees = object(serde_json::json!(["dot", "circle"]), serde_json::json!({ "radius": { "type": "number" } }));
    let mut out = Vec::new();
    check::<Shape>(&agrees, "/s", &mut out);
    assert!(out.is_empty(), "{out:#?}");

    let differs = object(serde_json::json!(["dot", "square"]), serde_json::json!({}));
    check::<Shape>(&differs, "/s", &mut out);
    assert_eq!(out.len(), 2, "{out:#?}");
    assert!(out.iter().any(|e| e.contains("Shape.type: the document's values") && e.contains("circle")), "{out:#?}");
    assert!(out.iter().any(|e| e.contains("Shape.radius: answered by the code, missing")), "{out:#?}");
}
