use plaza_domain::FieldError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// What went wrong in a request, in terms a caller can act on. Every service converts its
/// errors into this type, and this type into a [`Status`] in exactly one place.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The caller's input breaks a rule; the field is named.
    #[error(transparent)]
    InvalidArgument(#[from] FieldError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    /// The request is well-formed but the thing is not in a state that allows it.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The caller could not prove who they are (a wrong sign-in).
    #[error("{0}")]
    Unauthenticated(String),
    /// A concurrent change won; the caller may retry.
    #[error("{0}")]
    Aborted(String),
    /// A dependency (database, broker, another service) is unreachable; the caller may retry.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected failure. Logged with its cause; the caller sees only "internal
    /// error".
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ServiceError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::warn!(%error, "database unavailable");
                Self::Unavailable("the database is unavailable, try again".to_owned())
            }
            error => Self::Unexpected(error.into()),
        }
    }
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::InvalidArgument(violation) => {
                let message = violation.to_string();
                let details =
                    ErrorDetails::with_bad_request_violation(violation.field, violation.problem);
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            ServiceError::NotFound(message) => Status::not_found(message),
            ServiceError::AlreadyExists(message) => Status::already_exists(message),
            ServiceError::FailedPrecondition(message) => Status::failed_precondition(message),
            ServiceError::Unauthenticated(message) => Status::unauthenticated(message),
            ServiceError::Aborted(message) => Status::aborted(message),
            ServiceError::Unavailable(message) => Status::unavailable(message),
            ServiceError::Unexpected(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed unexpectedly");
                Status::internal("internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_argument_names_the_field_in_message_and_details() {
        let status = Status::from(ServiceError::from(FieldError::new("name", "is required")));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "name: is required");
        let violations = status.get_details_bad_request().unwrap().field_violations;
        assert_eq!(violations[0].field, "name");
        assert_eq!(violations[0].description, "is required");
    }

    #[test]
    fn an_unexpected_error_hides_its_cause() {
        let status = Status::from(ServiceError::from(anyhow::anyhow!(
            "relation \"customers\" does not exist"
        )));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
    }
}
