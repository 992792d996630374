//! Customers as the kernel serves them to every feature.

use crate::AppState;
use crate::error::AppError;
use cxloop_store::StoreError;

/// A customer by external id (as a path gives it); unknown ones are 404.
pub async fn customer_or_404(state: &AppState, external_id: &str) -> Result<cxloop_store::Customer, AppError> {
    state.store.customer_by_external_id(external_id).await.map_err(|e| match e {
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
