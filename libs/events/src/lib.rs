//! What Plaza's services say to each other over JetStream: the CloudEvents 1.0 [`Envelope`],
//! the payload of every integration event (one module per publishing service), and the names
//! of streams and subjects ([`Namespace`]).
//!
//! An event's `type` is also its NATS subject (`customers.customer.registered`), so a stream
//! captures a service's events with one wildcard (`customers.>`).

pub mod customers;
pub mod inventory;
mod namespace;
pub mod ordering;
pub mod payments;

pub use namespace::{Namespace, Stream};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

/// A payload that can travel in an [`Envelope`].
pub trait Event: Serialize + DeserializeOwned {
    /// The CloudEvents `type`, which is also the NATS subject.
    const TYPE: &'static str;
    /// The CloudEvents `source`: the publishing service.
    const SOURCE: &'static str;
}

/// A CloudEvents 1.0 structured-mode JSON envelope, with Plaza's extension attributes for
/// correlation and W3C trace context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub specversion: String,
    /// Unique per event; also the JetStream `Nats-Msg-Id` and the consumers' inbox key.
    pub id: Uuid,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The id of the aggregate the event is about (a customer, a store, an order).
    pub subject: String,
    pub time: DateTime<Utc>,
    pub datacontenttype: String,
    /// The id shared by every event of one business flow (an order's saga).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlationid: Option<String>,
    /// The id of the event that caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causationid: Option<String>,
    /// W3C trace context of the span that published the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    pub data: T,
}

impl<T: Event> Envelope<T> {
    /// A new event about `subject`, with a fresh UUID v7 id and the current time.
    pub fn new(subject: impl ToString, data: T) -> Self {
        Self {
            specversion: "1.0".to_owned(),
            id: Uuid::now_v7(),
            source: T::SOURCE.to_owned(),
            event_type: T::TYPE.to_owned(),
            subject: subject.to_string(),
            time: Utc::now(),
            datacontenttype: "application/json".to_owned(),
            correlationid: None,
            causationid: None,
            traceparent: None,
            data,
        }
    }

    /// Starts a business flow: every event caused by this one carries `correlation`.
    pub fn correlated(mut self, correlation: impl ToString) -> Self {
        self.correlationid = Some(correlation.to_string());
        self
    }

    /// This event is a reaction to `cause`: it carries the cause's id as its causation and
    /// the cause's correlation.
    pub fn caused_by<C>(mut self, cause: &Envelope<C>) -> Self {
        self.causationid = Some(cause.id.to_string());
        if cause.correlationid.is_some() {
            self.correlationid = cause.correlationid.clone();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::CustomerRegistered;

    #[test]
    fn an_envelope_has_the_cloudevents_attributes() {
        let customer_id = Uuid::now_v7();
        let envelope = Envelope::new(
            customer_id,
            CustomerRegistered {
                customer_id,
                name: "Ana".to_owned(),
                phone: "+34 600 000 000".to_owned(),
            },
        );
        let json = serde_json::to_value(&envelope).unwrap();
        assert_eq!(json["specversion"], "1.0");
        assert_eq!(json["type"], "customers.customer.registered");
        assert_eq!(json["source"], "plaza/customers");
        assert_eq!(json["subject"], customer_id.to_string());
        assert_eq!(json["datacontenttype"], "application/json");
        assert_eq!(json["data"]["customerId"], customer_id.to_string());
        assert!(json.get("traceparent").is_none());
        let back: Envelope<CustomerRegistered> = serde_json::from_value(json).unwrap();
        assert_eq!(back, envelope);
    }

    #[test]
    fn a_reaction_carries_its_cause_and_the_flows_correlation() {
        let registered = CustomerRegistered {
            customer_id: Uuid::now_v7(),
            name: "Ana".to_owned(),
            phone: "600".to_owned(),
        };
        let cause = Envelope::new("order-1", registered.clone()).correlated("order-1");
        let reaction = Envelope::new("payment-1", registered).caused_by(&cause);
        assert_eq!(reaction.causationid, Some(cause.id.to_string()));
        assert_eq!(reaction.correlationid.as_deref(), Some("order-1"));
    }
}
