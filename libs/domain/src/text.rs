use crate::FieldError;

/// A required piece of text: trimmed, not empty, at most `max_chars` characters, no control
/// characters.
pub fn required_text(field: &str, value: &str, max_chars: usize) -> Result<String, FieldError> {
    let value = optional_text(field, value, max_chars)?;
    if value.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    Ok(value)
}

/// An optional piece of text: trimmed, at most `max_chars` characters; line breaks and tabs
/// are allowed, other control characters are not.
pub fn optional_text(field: &str, value: &str, max_chars: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed() {
        assert_eq!(required_text("name", "  Ana  ", 10), Ok("Ana".to_owned()));
    }

    #[test]
    fn required_text_must_not_be_blank() {
        assert_eq!(
            required_text("name", " \t ", 10),
            Err(FieldError::new("name", "is required"))
        );
    }

    #[test]
    fn text_is_bounded_in_characters_not_bytes() {
        assert!(required_text("name", &"é".repeat(10), 10).is_ok());
        assert_eq!(
            required_text("name", &"é".repeat(11), 10),
            Err(FieldError::new("name", "must be at most 10 characters"))
        );
    }

    #[test]
    fn text_must_not_hold_control_characters() {
        assert!(required_text("name", "a\u{0}b", 10).is_err());
        assert_eq!(
            optional_text("description", "line one\nline two", 100),
            Ok("line one\nline two".to_owned())
        );
    }

    #[test]
    fn optional_text_may_be_empty() {
        assert_eq!(optional_text("description", "", 10), Ok(String::new()));
    }
}
