pub mod grpc;
pub mod postgres;
pub mod upstream;
