//! End-to-end tests of Plaza through its front door (in `tests/`): all four services run
//! in-process against a fresh database and JetStream namespace, the real Envoy runs in front
//! of them with the routes of `deploy/envoy/envoy.template.yaml`, and the tests speak REST
//! and gRPC to Envoy only.
