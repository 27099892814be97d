pub mod grpc;
pub mod postgres;
