//! Typed column codecs: how a Rust value is written to and read from a
//! column, once, for both backends. Every such column is TEXT in both
//! schemas, so each codec encodes through `String` and decodes through
//! `&str`, whatever the database; a value that does not read back is a
//! decode error naming the column, never a silent default.
//!
//! - [`Ts`]: a timestamp as fixed-width RFC 3339 in UTC ([`crate::ts`]), so
//!   text order is time order;
//! - [`Id`]: a typed id (`SurveyId`, `CustomerId`, …) as its UUID string;
//! - [`Json`]: a value as its JSON text;
//! - [`count`] and [`narrow`]: integers read as `i64` made the width the
//!   record holds, refusing what does not fit instead of wrapping.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};
use time::OffsetDateTime;
use uuid::Uuid;

/// Declares `Type` as TEXT's for a codec.
macro_rules! text_type {
    ($name:ident $(<$t:ident>)?) => {
        impl<$($t,)? DB: Database> Type<DB> for $name$(<$t>)?
        where
            String: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as Type<DB>>::compatible(ty)
            }
        }
    };
}

/// A timestamp column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ts(pub OffsetDateTime);

text_type!(Ts);

impl<'q, DB: Database> Encode<'q, DB> for Ts
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        crate::ts::fmt(self.0).encode(buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for Ts
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Ts(crate::ts::parse(<&str as Decode<DB>>::decode(value)?)?))
    }
}

/// A typed id column (or a plain `Uuid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id<T>(pub T);

text_type!(Id<T>);

impl<'q, T: std::fmt::Display + From<Uuid>, DB: Database> Encode<'q, DB> for Id<T>
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        self.0.to_string().encode(buf)
    }
}

impl<'r, T: From<Uuid>, DB: Database> Decode<'r, DB> for Id<T>
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let s = <&str as Decode<DB>>::decode(value)?;
        Ok(Id(crate::uuid(s)?))
    }
}

/// A JSON column, stored as its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T>(pub T);

text_type!(Json<T>);

impl<'q, T: serde::Serialize, DB: Database> Encode<'q, DB> for Json<T>
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        serde_json::to_string(&self.0)?.encode(buf)
    }
}

impl<'r, T: serde::de::DeserializeOwned, DB: Database> Decode<'r, DB> for Json<T>
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let s = <&str as Decode<DB>>::decode(value)?;
        Ok(Json(serde_json::from_str(s).map_err(crate::StoreError::from)?))
    }
}

/// A count read back (`COUNT(*)`, a stored tally): never negative.
pub fn count(n: i64) -> crate::Result<u64> {
    u64::try_from(n).map_err(|_| crate::StoreError::Other(format!("a negative count was read back: {n}")))
}

/// An integer read back as `i64`, as the narrower type a record holds
/// (a score as `i32`, a version as `u32`); out of range is an error.
pub fn narrow<T: TryFrom<i64>>(n: i64) -> crate::Result<T> {
    T::try_from(n)
        .map_err(|_| crate::StoreError::Other(format!("{n} read back does not fit in {}", std::any::type_name::<T>())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_that_do_not_fit_are_refused_not_wrapped() {
        assert_eq!(count(7).unwrap(), 7);
        assert!(count(-1).is_err());
        assert_eq!(narrow::<i32>(-3).unwrap(), -3);
        assert!(narrow::<i32>(i64::from(i32::MAX) + 1).is_err());
        assert!(narrow::<u32>(-1).is_err());
    }
}
