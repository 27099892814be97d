//! The inventory use cases. Each change is one transaction that also appends its event to
//! the outbox.

use plaza_domain::{Page, PageRequest, new_id, now};
use plaza_events::{
    Envelope,
    inventory::{
        ParticipationDisabled, ParticipationEnabled, ProductAdded, ProductDeleted, ProductSnapshot,
        ProductUpdated, StoreCreated, StoreDeleted, StoreSnapshot, StoreUpdated,
    },
};
use plaza_messaging::Outbox;
use plaza_service::ServiceError;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    adapters::postgres,
    domain::{Product, ProductDetails, Store, StoreDetails, StoreProduct},
};

/// What a batch look-up found, and which ids name no product.
#[derive(Debug)]
pub struct Batch {
    pub found: Vec<StoreProduct>,
    pub missing: Vec<Uuid>,
}

#[derive(Debug, Clone)]
pub struct Inventory {
    pool: PgPool,
    outbox: Outbox,
}

fn store_not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("store {id} not found"))
}

fn product_not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("product {id} not found"))
}

fn store_snapshot(store: &Store) -> StoreSnapshot {
    StoreSnapshot {
        store_id: store.id,
        name: store.name.clone(),
        location: store.location.clone(),
        participating: store.participating,
    }
}

fn product_snapshot(product: &Product) -> ProductSnapshot {
    ProductSnapshot {
        product_id: product.id,
        store_id: product.store_id,
        name: product.name.clone(),
        description: product.description.clone(),
        price_cents: product.price_cents,
        stock: product.stock,
    }
}

impl Inventory {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { pool, outbox }
    }

    pub async fn create_store(&self, details: StoreDetails) -> Result<Store, ServiceError> {
        let store = Store {
            id: new_id(),
            name: details.name,
            location: details.location,
            participating: false,
            created_at: now(),
        };
        let mut transaction = self.pool.begin().await?;
        postgres::insert_store(&mut transaction, &store).await?;
        let event = StoreCreated(store_snapshot(&store));
        self.outbox
            .commit(transaction, Envelope::new(store.id, event))
            .await?;
        tracing::info!(store_id = %store.id, "store created");
        Ok(store)
    }

    pub async fn store(&self, id: Uuid) -> Result<Store, ServiceError> {
        postgres::find_store(&self.pool, id)
            .await?
            .ok_or_else(|| store_not_found(id))
    }

    pub async fn stores(&self, page: PageRequest) -> Result<Page<Store>, ServiceError> {
        let rows = postgres::list_stores(&self.pool, page).await?;
        Ok(Page::from_rows(rows, page, |store| store.id))
    }

    pub async fn update_store(
        &self,
        id: Uuid,
        details: StoreDetails,
    ) -> Result<Store, ServiceError> {
        let mut transaction = self.pool.begin().await?;
        let store = postgres::update_store(&mut transaction, id, &details)
            .await?
            .ok_or_else(|| store_not_found(id))?;
        let event = StoreUpdated(store_snapshot(&store));
        self.outbox
            .commit(transaction, Envelope::new(id, event))
            .await?;
        Ok(store)
    }

    /// Deletes the store and all its products.
    pub async fn delete_store(&self, id: Uuid) -> Result<(), ServiceError> {
        let mut transaction = self.pool.begin().await?;
        let product_ids = postgres::delete_store(&mut transaction, id)
            .await?
            .ok_or_else(|| store_not_found(id))?;
        let event = StoreDeleted {
            store_id: id,
            product_ids,
        };
        self.outbox
            .commit(transaction, Envelope::new(id, event))
            .await?;
        tracing::info!(store_id = %id, "store deleted with its products");
        Ok(())
    }

    /// Sets whether the store takes part in the shop. Idempotent: setting the state it already
    /// has changes nothing and publishes nothing.
    pub async fn set_participation(
        &self,
        id: Uuid,
        participating: bool,
    ) -> Result<Store, ServiceError> {
        let mut transaction = self.pool.begin().await?;
        let (store, changed) = postgres::set_participation(&mut transaction, id, participating)
            .await?
            .ok_or_else(|| store_not_found(id))?;
        if !changed {
            return Ok(store);
        }
        let snapshot = store_snapshot(&store);
        if participating {
            let event = ParticipationEnabled(snapshot);
            self.outbox
                .commit(transaction, Envelope::new(id, event))
                .await?;
        } else {
            let event = ParticipationDisabled(snapshot);
            self.outbox
                .commit(transaction, Envelope::new(id, event))
                .await?;
        }
        tracing::info!(store_id = %id, participating, "store participation changed");
        Ok(store)
    }

    pub async fn add_product(
        &self,
        store_id: Uuid,
        details: ProductDetails,
    ) -> Result<Product, ServiceError> {
        let product = Product {
            id: new_id(),
            store_id,
            name: details.name,
            description: details.description,
            price_cents: details.price_cents,
            stock: details.stock,
            reserved: 0,
            created_at: now(),
        };
        let mut transaction = self.pool.begin().await?;
        if !postgres::insert_product(&mut transaction, &product).await? {
            return Err(store_not_found(store_id));
        }
        let event = ProductAdded(product_snapshot(&product));
        self.outbox
            .commit(transaction, Envelope::new(product.id, event))
            .await?;
        Ok(product)
    }

    pub async fn product(&self, id: Uuid) -> Result<Product, ServiceError> {
        postgres::find_product(&self.pool, id)
            .await?
            .ok_or_else(|| product_not_found(id))
    }

    pub async fn products(
        &self,
        store_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<Product>, ServiceError> {
        let rows = postgres::list_products(&self.pool, store_id, page).await?;
        if rows.is_empty() && page.after.is_none() {
            // An empty first page: tell an unknown store from a store with no products.
            self.store(store_id).await?;
        }
        Ok(Page::from_rows(rows, page, |product| product.id))
    }

    pub async fn update_product(
        &self,
        id: Uuid,
        details: ProductDetails,
    ) -> Result<Product, ServiceError> {
        let mut transaction = self.pool.begin().await?;
        let product = postgres::update_product(&mut transaction, id, &details)
            .await?
            .ok_or_else(|| product_not_found(id))?;
        let event = ProductUpdated(product_snapshot(&product));
        self.outbox
            .commit(transaction, Envelope::new(id, event))
            .await?;
        Ok(product)
    }

    pub async fn delete_product(&self, id: Uuid) -> Result<(), ServiceError> {
        let mut transaction = self.pool.begin().await?;
        let product = postgres::delete_product(&mut transaction, id)
            .await?
            .ok_or_else(|| product_not_found(id))?;
        let event = ProductDeleted {
            product_id: id,
            store_id: product.store_id,
        };
        self.outbox
            .commit(transaction, Envelope::new(id, event))
            .await?;
        Ok(())
    }

    /// The products of participating stores.
    pub async fn catalog(&self, page: PageRequest) -> Result<Page<StoreProduct>, ServiceError> {
        let rows = postgres::catalog(&self.pool, page).await?;
        Ok(Page::from_rows(rows, page, |item| item.product.id))
    }

    /// Products by id with their stores, in the order asked.
    pub async fn batch(&self, ids: Vec<Uuid>) -> Result<Batch, ServiceError> {
        let mut rows = postgres::products_with_stores(&self.pool, &ids).await?;
        let mut found = Vec::with_capacity(rows.len());
        let mut missing = Vec::new();
        for id in ids {
            match rows.iter().position(|row| row.product.id == id) {
                Some(index) => found.push(rows.swap_remove(index)),
                None => missing.push(id),
            }
        }
        Ok(Batch { found, missing })
    }
}
