//! The Postgres pool of a service.

use std::time::Duration;

use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::settings::DatabaseSettings;

/// A pool that connects lazily (so a service starts while the database is still coming up)
/// and pins every connection's `search_path` to the service's schema, so its queries can never
/// reach another service's tables by accident.
pub fn pool(settings: &DatabaseSettings) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = settings.url.parse()?;
    let options = options.options([("search_path", settings.schema.as_str())]);
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options))
}
