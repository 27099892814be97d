/// A JetStream stream that holds one service's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    /// The stream name, for example `CUSTOMERS`.
    pub name: &'static str,
    /// The subject token every event type of the service starts with, for example `customers`.
    pub subject_root: &'static str,
}

impl Stream {
    pub const CUSTOMERS: Stream = Stream {
        name: "CUSTOMERS",
        subject_root: "customers",
    };
    pub const INVENTORY: Stream = Stream {
        name: "INVENTORY",
        subject_root: "inventory",
    };
    pub const PAYMENTS: Stream = Stream {
        name: "PAYMENTS",
        subject_root: "payments",
    };
    pub const ORDERING: Stream = Stream {
        name: "ORDERING",
        subject_root: "ordering",
    };
}

/// Where on the NATS server Plaza's streams and subjects live. Production uses the empty
/// prefix (`CUSTOMERS`, `customers.>`); tests use a unique prefix each, so that tests sharing
/// one server never see each other's messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespace {
    prefix: String,
}

impl Namespace {
    /// `prefix` must be a single NATS token (letters, digits, `_`, `-`), or empty.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn stream_name(&self, stream: Stream) -> String {
        if self.prefix.is_empty() {
            stream.name.to_owned()
        } else {
            format!("{}_{}", self.prefix.to_uppercase(), stream.name)
        }
    }

    /// The subject filter that captures every event of `stream`.
    pub fn stream_subjects(&self, stream: Stream) -> String {
        self.subject(&format!("{}.>", stream.subject_root))
    }

    /// The NATS subject of an event type.
    pub fn subject(&self, event_type: &str) -> String {
        if self.prefix.is_empty() {
            event_type.to_owned()
        } else {
            format!("{}.{event_type}", self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_names_have_no_prefix() {
        let namespace = Namespace::default();
        assert_eq!(namespace.stream_name(Stream::CUSTOMERS), "CUSTOMERS");
        assert_eq!(namespace.stream_subjects(Stream::CUSTOMERS), "customers.>");
        assert_eq!(
            namespace.subject("customers.customer.registered"),
            "customers.customer.registered"
        );
    }

    #[test]
    fn a_prefix_separates_streams_and_subjects() {
        let namespace = Namespace::new("t42");
        assert_eq!(namespace.stream_name(Stream::ORDERING), "T42_ORDERING");
        assert_eq!(
            namespace.stream_subjects(Stream::ORDERING),
            "t42.ordering.>"
        );
        assert_eq!(
            namespace.subject("ordering.order.created"),
            "t42.ordering.order.created"
        );
    }
}
