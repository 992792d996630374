//! Timestamp text format shared by the text-based backends: fixed-width
//! RFC 3339 in UTC with microseconds, so that text order is time order.

use time::{OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

/// Formats as `2026-11-24T06:52:07.123456Z`.
pub fn fmt(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Parses what [`fmt`] wrote (any RFC 3339 is accepted).
pub fn parse(s: &str) -> Result<OffsetDateTime, crate::StoreError> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| crate::StoreError::Other(format!("bad stored timestamp {s:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn format_is_fixed_width_and_round_trips() {
        let t = datetime!(2026-01-02 03:04:05.000600 +02:00);
        let s = fmt(t);
        assert_eq!(s, "2026-01-02T01:04:05.000600Z");
        assert_eq!(parse(&s).unwrap(), t);
    }
}
