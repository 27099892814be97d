//! What a customer is, and what a valid registration is. Pure: no I/O.

use chrono::{DateTime, Utc};
use plaza_domain::{FieldError, parse_id, required_text};
use uuid::Uuid;

const NAME_MAX_CHARS: usize = 100;
const PHONE_MIN_DIGITS: usize = 3;
const PHONE_MAX_CHARS: usize = 32;

/// A registered customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub phone: String,
    pub registered_at: DateTime<Utc>,
}

/// A valid request to register: built only by [`Registration::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    name: String,
    phone: String,
}

impl Registration {
    pub fn parse(name: &str, phone: &str) -> Result<Self, FieldError> {
        Ok(Self {
            name: required_text("name", name, NAME_MAX_CHARS)?,
            phone: parse_phone(phone)?,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The normalised phone number: digits, with a leading `+` when one was given.
    pub fn phone(&self) -> &str {
        &self.phone
    }
}

/// A well-formed request to sign in again: built only by [`SignIn::parse`]. Whether it
/// names a customer is for the database to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    customer_id: Uuid,
    phone: String,
}

impl SignIn {
    pub fn parse(customer_id: &str, phone: &str) -> Result<Self, FieldError> {
        Ok(Self {
            customer_id: parse_id("customer_id", customer_id)?,
            phone: parse_phone(phone)?,
        })
    }

    pub fn customer_id(&self) -> Uuid {
        self.customer_id
    }

    /// Whether `customer` is the one signing in: the phone, written any way, is theirs.
    pub fn matches(&self, customer: &Customer) -> bool {
        customer.id == self.customer_id && customer.phone == self.phone
    }
}

/// Accepts what people type (`+34 600-00 00`, `(030) 1234`) and keeps the digits and a
/// leading `+`, so the same number written two ways is one customer.
fn parse_phone(value: &str) -> Result<String, FieldError> {
    let value = required_text("phone", value, PHONE_MAX_CHARS)?;
    let mut normalised = String::with_capacity(value.len());
    for (index, c) in value.chars().enumerate() {
        match c {
            '0'..='9' => normalised.push(c),
            '+' if index == 0 => normalised.push(c),
            ' ' | '-' | '(' | ')' => {}
            _ => {
                return Err(FieldError::new(
                    "phone",
                    "may hold only digits, spaces, a leading +, - and ( )",
                ));
            }
        }
    }
    if normalised.trim_start_matches('+').len() < PHONE_MIN_DIGITS {
        return Err(FieldError::new(
            "phone",
            format!("must have at least {PHONE_MIN_DIGITS} digits"),
        ));
    }
    Ok(normalised)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<Registration, FieldError>) -> String {
        result.unwrap_err().field
    }

    #[test]
    fn a_registration_keeps_the_trimmed_name_and_the_normalised_phone() {
        let registration = Registration::parse("  Ana Díaz ", "+34 600-00 (00)").unwrap();
        assert_eq!(registration.name(), "Ana Díaz");
        assert_eq!(registration.phone(), "+346000000");
    }

    #[test]
    fn a_name_is_required() {
        assert_eq!(field_of(Registration::parse("   ", "600000000")), "name");
    }

    #[test]
    fn a_name_is_at_most_100_characters() {
        assert!(Registration::parse(&"a".repeat(100), "600000000").is_ok());
        assert_eq!(
            field_of(Registration::parse(&"a".repeat(101), "600000000")),
            "name"
        );
    }

    #[test]
    fn a_phone_is_required() {
        assert_eq!(field_of(Registration::parse("Ana", "")), "phone");
    }

    #[test]
    fn a_phone_holds_only_digits_and_separators() {
        assert_eq!(field_of(Registration::parse("Ana", "600 abc")), "phone");
        assert_eq!(field_of(Registration::parse("Ana", "600+123")), "phone");
    }

    #[test]
    fn a_phone_has_at_least_three_digits() {
        assert_eq!(field_of(Registration::parse("Ana", "+1 2")), "phone");
        assert!(Registration::parse("Ana", "112").is_ok());
    }

    #[test]
    fn a_phone_is_at_most_32_characters() {
        assert_eq!(
            field_of(Registration::parse("Ana", &"1".repeat(33))),
            "phone"
        );
    }

    #[test]
    fn signing_in_takes_the_phone_written_any_way() {
        let customer = Customer {
            id: Uuid::now_v7(),
            name: "Ana".to_owned(),
            phone: "+346000000".to_owned(),
            registered_at: Utc::now(),
        };
        let id = customer.id.to_string();
        assert!(
            SignIn::parse(&id, "+34 600 00 00")
                .unwrap()
                .matches(&customer)
        );
        assert!(
            !SignIn::parse(&id, "+34 600 00 01")
                .unwrap()
                .matches(&customer)
        );
        let stranger = SignIn::parse(&Uuid::now_v7().to_string(), "+346000000").unwrap();
        assert!(!stranger.matches(&customer));
    }

    #[test]
    fn signing_in_needs_a_customer_id_and_a_phone() {
        assert_eq!(
            SignIn::parse("ana", "600000000").unwrap_err().field,
            "customer_id"
        );
        let id = Uuid::now_v7().to_string();
        assert_eq!(SignIn::parse(&id, "").unwrap_err().field, "phone");
    }
}
