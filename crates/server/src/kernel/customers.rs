//! Customers as the kernel serves them to every feature.

use crate::platform::error::AppError;
use cxloop_core::customer::AttributeDef;
use cxloop_store::{CustomerRef, StoreError};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// A customer by external id (as a path gives it); unknown ones are 404.
pub async fn customer_or_404<S: cxloop_store::CustomerStore + ?Sized>(
    store: &S,
    external_id: &str,
) -> Result<cxloop_store::Customer, AppError> {
    store.customer_by_external_id(external_id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound("customer"),
        other => other.into(),
    })
}

/// A customer's optional name as given: trimmed, blank is none, at most 200
/// characters; `field` names it in the error.
pub fn optional_name(field: &str, name: Option<&str>) -> Result<Option<String>, AppError> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 200) {
        return Err(AppError::invalid(field, "name is longer than 200 characters"));
    }
    Ok(name.map(str::to_string))
}

/// An optional address by the directory's rule (`check_email`: trimmed,
/// lowercased); blank is none; `field` names it in the error.
pub fn optional_email(field: &str, email: Option<&str>) -> Result<Option<String>, AppError> {
    email
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| cxloop_core::customer::check_email(e).map_err(|e| AppError::invalid(field, e.to_string())))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses_are_trimmed_blank_is_none_and_errors_name_the_field() {
        assert_eq!(optional_name("name", Some("  Ana ")).unwrap().as_deref(), Some("Ana"));
        assert_eq!(optional_name("name", Some("   ")).unwrap(), None);
        assert_eq!(optional_name("name", Some(&"x".repeat(200))).unwrap().map(|n| n.len()), Some(200));
        assert_eq!(optional_name("c.name", Some(&"x".repeat(201))).unwrap_err().field(), Some("c.name"));
        assert_eq!(optional_email("e", Some(" Ana@Example.com ")).unwrap().as_deref(), Some("ana@example.com"));
        assert_eq!(optional_email("e", Some("")).unwrap(), None);
        assert_eq!(optional_email("c.email", Some("ana@")).unwrap_err().field(), Some("c.email"));
    }
}

/// One customer as the API and the CSV import give it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub attributes: serde_json::Map<String, Value>,
}

/// Validates one customer against the attribute definitions; errors are
/// prefixed with `prefix` (e.g. `customers[3].`).
pub fn check_customer(
    input: &CustomerInput,
    external_id: &str,
    defs: &HashMap<String, AttributeDef>,
    prefix: &str,
) -> Result<CustomerRef, AppError> {
    let id = external_id.trim();
    if id.is_empty() || id.chars().count() > 200 {
        return Err(AppError::invalid(format!("{prefix}external_id"), "external_id must be 1–200 characters"));
    }
    let email = optional_email(&format!("{prefix}email"), input.email.as_deref())?;
    let name = optional_name(&format!("{prefix}name"), input.name.as_deref())?;
    let mut attributes = serde_json::Map::new();
    for (k, v) in &input.attributes {
        let def = defs.get(k).ok_or_else(|| {
            AppError::invalid(
                format!("{prefix}attributes.{k}"),
                format!("{k:?} is not a defined attribute; define it first"),
            )
        })?;
        let v = def.check(v).map_err(|e| AppError::invalid(format!("{prefix}{}", e.field), e.message))?;
        attributes.insert(k.clone(), v);
    }
    Ok(CustomerRef { external_id: id.to_string(), name, email, attributes })
}
