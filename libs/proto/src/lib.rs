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
