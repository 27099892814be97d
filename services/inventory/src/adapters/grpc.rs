//! The `plaza.inventory.v1.InventoryService` API: proto in, domain through, proto out, and
//! who may call each method.

use plaza_auth::Access;
use plaza_domain::{FieldError, PageRequest, parse_id};
use plaza_proto::{
    inventory::v1::{
        AddProductRequest, BatchGetProductsRequest, BatchGetProductsResponse, CatalogProduct,
        CreateStoreRequest, DeleteProductRequest, DeleteStoreRequest, DisableParticipationRequest,
        EnableParticipationRequest, GetCatalogRequest, GetCatalogResponse, GetProductRequest,
        GetStoreRequest, ListProductsRequest, ListProductsResponse, ListStoresRequest,
        ListStoresResponse, PricedProduct, Product as ProductMessage, Store as StoreMessage,
        UpdateProductRequest, UpdateStoreRequest, inventory_service_server::InventoryService,
    },
    timestamp,
};
use plaza_service::ServiceError;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::{
    application::Inventory,
    domain::{Product, ProductDetails, Store, StoreDetails, parse_batch},
};

/// Who may call each method: the catalog is public; pricing an order is ordering's; every
/// store and product change or look-up is for admins.
pub fn access(method: &str) -> Access {
    match method {
        "GetCatalog" => Access::Public,
        "BatchGetProducts" => Access::Service,
        _ => Access::Admin,
    }
}

#[derive(Debug)]
pub struct InventoryApi {
    inventory: Inventory,
}

impl InventoryApi {
    pub fn new(inventory: Inventory) -> Self {
        Self { inventory }
    }
}

/// Domain validation errors become INVALID_ARGUMENT through `ServiceError`.
fn valid<T>(result: Result<T, FieldError>) -> Result<T, ServiceError> {
    result.map_err(ServiceError::from)
}

fn id(field: &str, value: &str) -> Result<Uuid, ServiceError> {
    valid(parse_id(field, value))
}

fn token(next: Option<Uuid>) -> String {
    next.map(|id| id.to_string()).unwrap_or_default()
}

#[tonic::async_trait]
impl InventoryService for InventoryApi {
    async fn create_store(
        &self,
        request: Request<CreateStoreRequest>,
    ) -> Result<Response<StoreMessage>, Status> {
        let request = request.into_inner();
        let details = valid(StoreDetails::parse(&request.name, &request.location))?;
        Ok(Response::new(store_message(
            self.inventory.create_store(details).await?,
        )))
    }

    async fn list_stores(
        &self,
        request: Request<ListStoresRequest>,
    ) -> Result<Response<ListStoresResponse>, Status> {
        let request = request.into_inner();
        let page = valid(PageRequest::parse(request.page_size, &request.page_token))?;
        let page = self.inventory.stores(page).await?;
        Ok(Response::new(ListStoresResponse {
            next_page_token: token(page.next_page_token),
            stores: page.items.into_iter().map(store_message).collect(),
        }))
    }

    async fn get_store(
        &self,
        request: Request<GetStoreRequest>,
    ) -> Result<Response<StoreMessage>, Status> {
        let id = id("id", &request.get_ref().id)?;
        Ok(Response::new(store_message(
            self.inventory.store(id).await?,
        )))
    }

    async fn update_store(
        &self,
        request: Request<UpdateStoreRequest>,
    ) -> Result<Response<StoreMessage>, Status> {
        let request = request.into_inner();
        let id = id("id", &request.id)?;
        let details = valid(StoreDetails::parse(&request.name, &request.location))?;
        Ok(Response::new(store_message(
            self.inventory.update_store(id, details).await?,
        )))
    }

    async fn delete_store(
        &self,
        request: Request<DeleteStoreRequest>,
    ) -> Result<Response<()>, Status> {
        let id = id("id", &request.get_ref().id)?;
        self.inventory.delete_store(id).await?;
        Ok(Response::new(()))
    }

    async fn enable_participation(
        &self,
        request: Request<EnableParticipationRequest>,
    ) -> Result<Response<StoreMessage>, Status> {
        let id = id("id", &request.get_ref().id)?;
        Ok(Response::new(store_message(
            self.inventory.set_participation(id, true).await?,
        )))
    }

    async fn disable_participation(
        &self,
        request: Request<DisableParticipationRequest>,
    ) -> Result<Response<StoreMessage>, Status> {
        let id = id("id", &request.get_ref().id)?;
        Ok(Response::new(store_message(
            self.inventory.set_participation(id, false).await?,
        )))
    }

    async fn add_product(
        &self,
        request: Request<AddProductRequest>,
    ) -> Result<Response<ProductMessage>, Status> {
        let request = request.into_inner();
        let store_id = id("store_id", &request.store_id)?;
        let details = valid(ProductDetails::parse(
            &request.name,
            &request.description,
            request.price_cents,
            request.stock,
        ))?;
        Ok(Response::new(product_message(
            self.inventory.add_product(store_id, details).await?,
        )))
    }

    async fn list_products(
        &self,
        request: Request<ListProductsRequest>,
    ) -> Result<Response<ListProductsResponse>, Status> {
        let request = request.into_inner();
        let store_id = id("store_id", &request.store_id)?;
        let page = valid(PageRequest::parse(request.page_size, &request.page_token))?;
        let page = self.inventory.products(store_id, page).await?;
        Ok(Response::new(ListProductsResponse {
            next_page_token: token(page.next_page_token),
            products: page.items.into_iter().map(product_message).collect(),
        }))
    }

    async fn get_product(
        &self,
        request: Request<GetProductRequest>,
    ) -> Result<Response<ProductMessage>, Status> {
        let id = id("id", &request.get_ref().id)?;
        Ok(Response::new(product_message(
            self.inventory.product(id).await?,
        )))
    }

    async fn update_product(
        &self,
        request: Request<UpdateProductRequest>,
    ) -> Result<Response<ProductMessage>, Status> {
        let request = request.into_inner();
        let id = id("id", &request.id)?;
        let details = valid(ProductDetails::parse(
            &request.name,
            &request.description,
            request.price_cents,
            request.stock,
        ))?;
        Ok(Response::new(product_message(
            self.inventory.update_product(id, details).await?,
        )))
    }

    async fn delete_product(
        &self,
        request: Request<DeleteProductRequest>,
    ) -> Result<Response<()>, Status> {
        let id = id("id", &request.get_ref().id)?;
        self.inventory.delete_product(id).await?;
        Ok(Response::new(()))
    }

    async fn get_catalog(
        &self,
        request: Request<GetCatalogRequest>,
    ) -> Result<Response<GetCatalogResponse>, Status> {
        let request = request.into_inner();
        let page = valid(PageRequest::parse(request.page_size, &request.page_token))?;
        let page = self.inventory.catalog(page).await?;
        Ok(Response::new(GetCatalogResponse {
            next_page_token: token(page.next_page_token),
            products: page
                .items
                .into_iter()
                .map(|item| CatalogProduct {
                    product: Some(product_message(item.product)),
                    store_name: item.store_name,
                    store_location: item.store_location,
                })
                .collect(),
        }))
    }

    async fn batch_get_products(
        &self,
        request: Request<BatchGetProductsRequest>,
    ) -> Result<Response<BatchGetProductsResponse>, Status> {
        let ids = valid(parse_batch(&request.get_ref().ids))?;
        let batch = self.inventory.batch(ids).await?;
        Ok(Response::new(BatchGetProductsResponse {
            products: batch
                .found
                .into_iter()
                .map(|item| PricedProduct {
                    product: Some(product_message(item.product)),
                    store_name: item.store_name,
                    store_participating: item.store_participating,
                })
                .collect(),
            missing_ids: batch.missing.iter().map(Uuid::to_string).collect(),
        }))
    }
}

fn store_message(store: Store) -> StoreMessage {
    StoreMessage {
        id: store.id.to_string(),
        name: store.name,
        location: store.location,
        participating: store.participating,
        create_time: Some(timestamp(store.created_at)),
    }
}

fn product_message(product: Product) -> ProductMessage {
    ProductMessage {
        id: product.id.to_string(),
        store_id: product.store_id.to_string(),
        name: product.name,
        description: product.description,
        price_cents: product.price_cents,
        stock: product.stock,
        reserved: product.reserved,
        create_time: Some(timestamp(product.created_at)),
    }
}
