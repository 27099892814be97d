//! The pure vocabulary every Plaza domain shares: a [`FieldError`] that names the field a
//! caller got wrong, parsers for bounded text, ids and idempotency keys, and [`PageRequest`]
//! for keyset paging. No I/O and no transport types: services map these to gRPC codes once,
//! in `plaza-service`.

mod page;
mod text;

pub use page::{Page, PageRequest, parse_page_size};
pub use text::{optional_text, required_text};

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

/// A caller's input that breaks a rule, with the field it concerns, as the caller named it
/// (`name`, `items[2].quantity`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// A new identifier: UUID v7, so ids sort by creation time.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The current time at the precision the database keeps (microseconds), so that what a
/// service answers equals what it later reads back.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Parses a required UUID given by a caller.
pub fn parse_id(field: &str, value: &str) -> Result<Uuid, FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    Uuid::try_parse(value.trim()).map_err(|_| FieldError::new(field, "must be a UUID"))
}

/// Parses an optional idempotency key: empty means none; otherwise 1 to 100 visible ASCII
/// characters.
pub fn parse_request_id(field: &str, value: &str) -> Result<Option<String>, FieldError> {
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() > 100 || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::new(
            field,
            "must be 1 to 100 visible ASCII characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// Checks that `value` lies in `min..=max`.
pub fn in_range<T>(field: &str, value: T, min: T, max: T) -> Result<T, FieldError>
where
    T: PartialOrd + std::fmt::Display + Copy,
{
    if value < min || value > max {
        return Err(FieldError::new(
            field,
            format!("must be between {min} and {max}, got {value}"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_must_be_a_uuid() {
        assert_eq!(
            parse_id("id", "nope"),
            Err(FieldError::new("id", "must be a UUID"))
        );
        assert_eq!(
            parse_id("store_id", " "),
            Err(FieldError::new("store_id", "is required"))
        );
        let id = new_id();
        assert_eq!(parse_id("id", &id.to_string()), Ok(id));
    }

    #[test]
    fn now_has_microsecond_precision() {
        assert_eq!(now().timestamp_subsec_nanos() % 1000, 0);
    }

    #[test]
    fn new_ids_are_version_7_and_increase() {
        let first = new_id();
        let second = new_id();
        assert_eq!(first.get_version_num(), 7);
        assert!(second > first);
    }

    #[test]
    fn a_request_id_is_optional_but_bounded() {
        assert_eq!(parse_request_id("request_id", ""), Ok(None));
        assert_eq!(
            parse_request_id("request_id", "click-1"),
            Ok(Some("click-1".to_owned()))
        );
        assert!(parse_request_id("request_id", &"x".repeat(101)).is_err());
        assert!(parse_request_id("request_id", "has space").is_err());
    }

    #[test]
    fn a_number_outside_its_range_names_the_field_and_the_value() {
        let error = in_range("price_cents", -1, 0, 10).unwrap_err();
        assert_eq!(
            error.to_string(),
            "price_cents: must be between 0 and 10, got -1"
        );
        assert_eq!(in_range("stock", 10, 0, 10), Ok(10));
    }
}
