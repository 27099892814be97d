//! The gRPC server every service runs: its own services plus `grpc.health.v1` and server
//! reflection (v1, and v1alpha for grpcurl 1.8), NOT_SERVING until the service is ready and
//! again as soon as shutdown starts, then draining the requests in flight.

use std::{future::Future, pin::Pin, time::Duration};

use futures::{Stream, StreamExt};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, service::Routes};
use tonic_health::{
    ServingStatus,
    pb::{
        HealthCheckRequest, HealthCheckResponse, health_check_response,
        health_server::{Health, HealthServer},
    },
    server::{HealthReporter, HealthService},
};

/// A request longer than this is cut short with DEADLINE_EXCEEDED, unless the client set a
/// shorter `grpc-timeout`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The gRPC services a service serves.
#[derive(Debug)]
pub struct Services {
    pub routes: Routes,
    /// The full names of the services in `routes`, for health (`plaza.customers.v1...`).
    pub names: Vec<&'static str>,
}

/// Serves `services` on `listener` until `shutdown`. Health reports NOT_SERVING until
/// `readiness` (migrations, streams) has succeeded; a failed `readiness` stops the server
/// with its error.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    readiness: impl Future<Output = anyhow::Result<()>>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let health = HealthReporter::new();
    let health_service = HealthServer::new(DrainingHealth {
        inner: HealthService::from_health_reporter(health.clone()),
        shutdown: shutdown.clone(),
    });
    set_status(&health, &services.names, ServingStatus::NotServing).await;
    // Reflection advertises this server's services and health (so `grpcurl ... list` tells
    // the truth and `grpc.health.v1.Health/Check` needs no proto file), and describes the
    // `google.rpc` error details, so clients can read the field violations.
    let reflection = || {
        services.names.iter().fold(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(plaza_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .with_service_name("grpc.health.v1.Health"),
            |builder, name| builder.with_service_name(*name),
        )
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    let draining = {
        let health = health.clone();
        let names = services.names.clone();
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            set_status(&health, &names, ServingStatus::NotServing).await;
            tracing::info!("not serving; draining requests in flight");
        }
    };
    let server = tonic::transport::Server::builder()
        .timeout(REQUEST_TIMEOUT)
        .trace_fn(|request| {
            let span = tracing::info_span!("grpc", method = %request.uri().path());
            crate::telemetry::adopt_remote_parent(&span, request.headers());
            span
        })
        .add_routes(services.routes)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), draining);

    let ready = async {
        tokio::select! {
            result = readiness => result?,
            () = shutdown.cancelled() => return Ok(()),
        }
        set_status(&health, &services.names, ServingStatus::Serving).await;
        tracing::info!("serving");
        Ok::<_, anyhow::Error>(())
    };
    tokio::try_join!(async { server.await.map_err(anyhow::Error::from) }, ready)?;
    Ok(())
}

async fn set_status(health: &HealthReporter, names: &[&'static str], status: ServingStatus) {
    health.set_service_status("", status).await;
    for name in names {
        health.set_service_status(*name, status).await;
    }
}

/// `grpc.health.v1.Health` as tonic-health serves it, except that a `Watch` stream ends once
/// it has told its client NOT_SERVING after shutdown began. Clients that check health on
/// their side (gRPC's client-side health checking, monitors) keep a `Watch` open for as long
/// as the server lets them; the graceful drain waits for every open stream, so without this
/// one open watch held the process until the shutdown grace ran out and it exited with an
/// error instead of 0.
#[derive(Debug)]
struct DrainingHealth {
    inner: HealthService,
    shutdown: CancellationToken,
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for DrainingHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        self.inner.check(request).await
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let statuses = self.inner.watch(request).await?.into_inner();
        let shutdown = self.shutdown.clone();
        // Shutdown cancels the token before it reports NOT_SERVING, so the NOT_SERVING that
        // shutdown sends is the last status the client gets; the stream ends without waiting
        // for another change.
        let statuses = futures::stream::unfold((statuses, false), move |(mut statuses, told)| {
            let shutdown = shutdown.clone();
            async move {
                if told {
                    return None;
                }
                let status = statuses.next().await?;
                let not_serving = matches!(&status, Ok(response)
                    if response.status == health_check_response::ServingStatus::NotServing as i32);
                let told = not_serving && shutdown.is_cancelled();
                Some((status, (statuses, told)))
            }
        });
        Ok(Response::new(Box::pin(statuses)))
    }
}
