//! W3C trace context across NATS: the publisher writes its span's `traceparent` into the
//! envelope and the message headers, so that one order's spans in every service share one
//! trace id. Uses the global propagator that `plaza-service` telemetry installs.

use std::collections::HashMap;

use opentelemetry::trace::TraceContextExt;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The current span's `traceparent`, when tracing exports spans; `None` otherwise.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut carrier);
    });
    carrier.remove("traceparent")
}
