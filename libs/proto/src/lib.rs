//! Generated tonic + prost code for every Plaza service, the encoded file descriptor set that
//! reflection and Envoy's transcoder need, and conversions between proto well-known types and
//! the Rust types the services use.

use chrono::{DateTime, Utc};

pub mod customers {
    pub mod v1 {
        tonic::include_proto!("plaza.customers.v1");
    }
}

pub mod inventory {
    pub mod v1 {
        tonic::include_proto!("plaza.inventory.v1");
    }
}

pub mod payments {
    pub mod v1 {
        tonic::include_proto!("plaza.payments.v1");
    }
}

pub mod ordering {
    pub mod v1 {
        tonic::include_proto!("plaza.ordering.v1");
    }
}

/// Every Plaza proto and its imports, encoded: for server reflection and Envoy.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("plaza_descriptor");

/// A point in time as a `google.protobuf.Timestamp`.
pub fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// JSON as a `google.protobuf.Struct`: a JSON object's fields; anything else is kept under
/// the key `value`.
pub fn json_struct(value: serde_json::Value) -> prost_types::Struct {
    let fields = match value {
        serde_json::Value::Object(map) => {
            map.into_iter().map(|(k, v)| (k, json_value(v))).collect()
        }
        other => std::iter::once(("value".to_owned(), json_value(other))).collect(),
    };
    prost_types::Struct { fields }
}

fn json_value(value: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match value {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.into_iter().map(json_value).collect(),
        }),
        object @ serde_json::Value::Object(_) => Kind::StructValue(json_struct(object)),
    };
    prost_types::Value { kind: Some(kind) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_becomes_a_struct_field_by_field() {
        let data =
            json_struct(serde_json::json!({"reason": "OUT_OF_STOCK", "lines": [{"quantity": 2}]}));
        assert_eq!(
            data.fields["reason"].kind,
            Some(prost_types::value::Kind::StringValue(
                "OUT_OF_STOCK".to_owned()
            ))
        );
        let Some(prost_types::value::Kind::ListValue(lines)) = &data.fields["lines"].kind else {
            panic!("lines should be a list");
        };
        assert_eq!(lines.values.len(), 1);
    }
}
