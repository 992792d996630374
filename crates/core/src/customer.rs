//! Customers as the organisation describes them: typed attributes it
//! defines (text, number, date, boolean, one-of), validated on the way in,
//! and lifecycle events (signed up, renewed, upgraded, downgraded, churned,
//! reactivated).

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The type of a customer attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AttrType {
    Text,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    Boolean,
    /// One of a fixed list of values.
    OneOf {
        options: Vec<String>,
    },
}

/// An attribute the organisation defines for its customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttributeDef {
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub kind: AttrType,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CustomerError {
    /// The field at fault, e.g. `attributes.plan`.
    pub field: String,
    pub message: String,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> CustomerError {
    CustomerError { field: field.into(), message: message.into() }
}

impl AttributeDef {
    /// Checks the definition itself.
    pub fn validate(&self) -> Result<(), CustomerError> {
        let ok = !self.key.is_empty()
            && self.key.len() <= 40
            && self.key.starts_with(|c: char| c.is_ascii_lowercase())
            && self.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(err("key", "key must start with a-z and use a-z, 0-9 and _ (at most 40)"));
        }
        if RESERVED.contains(&self.key.as_str()) {
            return Err(err("key", format!("{:?} is a built-in field", self.key)));
        }
        if self.label.trim().is_empty() || self.label.chars().count() > 100 {
            return Err(err("label", "label must be 1–100 characters"));
        }
        if let AttrType::OneOf { options } = &self.kind
            && (options.is_empty() || options.iter().any(|o| o.trim().is_empty()))
        {
            return Err(err("options", "a one-of attribute needs non-empty options"));
        }
        Ok(())
    }

    /// Checks and normalises a value for this attribute (`null` clears it).
    pub fn check(&self, v: &serde_json::Value) -> Result<serde_json::Value, CustomerError> {
        use serde_json::Value as J;
        let field = format!("attributes.{}", self.key);
        if v.is_null() {
            return Ok(J::Null);
        }
        match &self.kind {
            AttrType::Text => match v {
                J::String(s) if s.chars().count() <= 1000 => Ok(J::String(s.trim().to_string())),
                J::String(_) => Err(err(field, "text is longer than 1000 characters")),
                J::Number(n) => Ok(J::String(n.to_string())),
                _ => Err(err(field, "must be text")),
            },
            AttrType::Number => {
                let n = match v {
                    J::Number(n) => n.as_f64(),
                    J::String(s) => s.trim().replace(',', "").parse::<f64>().ok(),
                    _ => None,
                };
                match n.filter(|n| n.is_finite()) {
                    Some(n) => Ok(serde_json::json!(n)),
                    None => Err(err(field, format!("{v} is not a number"))),
                }
            }
            AttrType::Date => {
                let s = v.as_str().ok_or_else(|| err(field.clone(), "must be a date as YYYY-MM-DD"))?;
                crate::period::parse_date(s, "date")
                    .map(|d| J::String(crate::period::fmt_date(d)))
                    .map_err(|_| err(field, format!("{s:?} is not a date (YYYY-MM-DD)")))
            }
            AttrType::Boolean => match v {
                J::Bool(b) => Ok(J::Bool(*b)),
                J::String(s) => match s.trim().to_lowercase().as_str() {
                    "true" | "yes" | "1" => Ok(J::Bool(true)),
                    "false" | "no" | "0" => Ok(J::Bool(false)),
                    _ => Err(err(field, format!("{s:?} is not true or false"))),
                },
                _ => Err(err(field, "must be true or false")),
            },
            AttrType::OneOf { options } => {
                let s = v.as_str().map(str::trim).unwrap_or_default();
                options
                    .iter()
                    .find(|o| o.eq_ignore_ascii_case(s))
                    .map(|o| J::String(o.clone()))
                    .ok_or_else(|| err(field, format!("{v} is not one of {}", options.join(", "))))
            }
        }
    }
}

/// Fields every customer has; attribute keys may not reuse them.
pub const RESERVED: &[&str] = &[
    "external_id",
    "name",
    "email",
    "stage",
    "responses",
    "last_score",
    "last_nps",
    "last_csat",
    "last_ces",
    "last_response_at",
    "created_at",
];

/// Checks an email address (a practical check, not RFC 5322).
pub fn check_email(email: &str) -> Result<String, CustomerError> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 320
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !e.contains(char::is_whitespace)
        && e.matches('@').count() == 1;
    if ok { Ok(e) } else { Err(err("email", format!("{email:?} is not an email address"))) }
}

/// Stages of a customer's life with the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    SignedUp,
    Renewed,
    Upgraded,
    Downgraded,
    Churned,
    Reactivated,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 6] = [
        Lifecycle::SignedUp,
        Lifecycle::Renewed,
        Lifecycle::Upgraded,
        Lifecycle::Downgraded,
        Lifecycle::Churned,
        Lifecycle::Reactivated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::SignedUp => "signed_up",
            Lifecycle::Renewed => "renewed",
            Lifecycle::Upgraded => "upgraded",
            Lifecycle::Downgraded => "downgraded",
            Lifecycle::Churned => "churned",
            Lifecycle::Reactivated => "reactivated",
        }
    }
}

impl FromStr for Lifecycle {
    type Err = CustomerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lifecycle::ALL.into_iter().find(|l| l.as_str() == s).ok_or_else(|| {
            err("kind", format!("{s:?} is not one of signed_up, renewed, upgraded, downgraded, churned, reactivated"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(kind: AttrType) -> AttributeDef {
        AttributeDef { key: "x".into(), label: "X".into(), kind }
    }

    #[test]
    fn values_are_checked_and_normalised_by_type() {
        assert_eq!(def(AttrType::Number).check(&json!("12,500")).unwrap(), json!(12500.0));
        assert_eq!(def(AttrType::Number).check(&json!("lots")).unwrap_err().field, "attributes.x");
        assert_eq!(def(AttrType::Date).check(&json!("2026-02-03")).unwrap(), json!("2026-02-03"));
        assert!(def(AttrType::Date).check(&json!("03/02/2026")).is_err());
        assert_eq!(def(AttrType::Boolean).check(&json!("yes")).unwrap(), json!(true));
        let plan = def(AttrType::OneOf { options: vec!["starter".into(), "pro".into()] });
        assert_eq!(plan.check(&json!("PRO")).unwrap(), json!("pro"));
        assert!(plan.check(&json!("gold")).unwrap_err().message.contains("starter, pro"));
        assert_eq!(def(AttrType::Text).check(&json!(null)).unwrap(), json!(null));
    }

    #[test]
    fn definitions_and_emails_are_validated() {
        assert!(AttributeDef { key: "Plan".into(), label: "Plan".into(), kind: AttrType::Text }.validate().is_err());
        assert!(AttributeDef { key: "email".into(), label: "E".into(), kind: AttrType::Text }.validate().is_err());
        assert!(def(AttrType::OneOf { options: vec![] }).validate().is_err());
        assert_eq!(check_email(" Ops@Example.COM ").unwrap(), "ops@example.com");
        for bad in ["", "a@", "@b.c", "a b@c.d", "a@b", "a@@b.c"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert_eq!("churned".parse::<Lifecycle>().unwrap(), Lifecycle::Churned);
        assert_eq!("left".parse::<Lifecycle>().unwrap_err().field, "kind");
    }
}
