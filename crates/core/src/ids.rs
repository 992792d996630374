//! Typed ids: a survey's id and a customer's id are different types, so one
//! cannot be passed where the other is meant. Each wraps a UUID (v7 for
//! new ones, time-ordered), reads and writes as the plain UUID string in
//! JSON, paths and the database, and parses from one.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id (UUIDv7: later ids sort after earlier ones).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The all-zero id, for "not saved yet".
            pub const fn nil() -> Self {
                Self(Uuid::nil())
            }

            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub const fn uuid(self) -> Uuid {
                self.0
            }

            pub fn is_nil(self) -> bool {
                self.0.is_nil()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::nil()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// In the OpenAPI document: a UUID string.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .build()
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id!(
    /// A survey.
    SurveyId
);
id!(
    /// A customer in the directory (not their external id, which is the organisation's).
    CustomerId
);
id!(
    /// A saved segment.
    SegmentId
);
id!(
    /// A persona.
    PersonaId
);

id!(
    /// A response to a survey.
    ResponseId
);
id!(
    /// A staff account.
    UserId
);
id!(
    /// An API token.
    TokenId
);
id!(
    /// An inbound webhook.
    HookId
);
id!(
    /// An email invitation.
    InvitationId
);
id!(
    /// A background job.
    JobId
);
id!(
    /// A customer lifecycle event.
    EventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_write_as_plain_uuids() {
        let id: SurveyId = "0190aaaa-0000-7000-8000-000000000001".parse().unwrap();
        assert_eq!(id.to_string(), "0190aaaa-0000-7000-8000-000000000001");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"0190aaaa-0000-7000-8000-000000000001\"");
        let back: SurveyId = serde_json::from_str("\"0190aaaa-0000-7000-8000-000000000001\"").unwrap();
        assert_eq!(back, id);
        assert!("not-an-id".parse::<SurveyId>().is_err());
        assert!(SurveyId::nil().is_nil() && !SurveyId::new().is_nil());
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let a = CustomerId::new();
        let b = CustomerId::new();
        assert!(a < b);
    }
}
