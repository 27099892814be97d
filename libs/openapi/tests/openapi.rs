//! The document generated from Plaza's real descriptor set.
// The helpers below are test code too: a failed unwrap is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use plaza_openapi::{http_rules, openapi};
use plaza_proto::FILE_DESCRIPTOR_SET;
use serde_json::{Value, json};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> Value {
    openapi(FILE_DESCRIPTOR_SET).unwrap()
}

fn operation<'d>(document: &'d Value, method: &str, path: &str) -> &'d Value {
    let operation = &document["paths"][path][method];
    assert!(operation.is_object(), "no operation {method} {path}");
    operation
}

/// The schema a `$ref` (or a described `allOf` of one `$ref`) points to; any other itself.
fn resolve<'d>(document: &'d Value, schema: &'d Value) -> &'d Value {
    if let Some([single]) = schema["allOf"].as_array().map(Vec::as_slice) {
        return resolve(document, single);
    }
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.strip_prefix("#/components/schemas/").unwrap();
            &document["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn schema<'d>(document: &'d Value, name: &str) -> &'d Value {
    let schema = &document["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    schema
}

fn parameter<'d>(operation: &'d Value, location: &str, name: &str) -> &'d Value {
    operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["in"] == location && p["name"] == name)
        .unwrap_or_else(|| panic!("no {location} parameter {name}"))
}

#[test]
fn every_http_rule_is_an_operation_and_nothing_else() {
    let document = document();
    let rules = http_rules(FILE_DESCRIPTOR_SET).unwrap();
    for rule in &rules {
        let operation = operation(&document, &rule.method, &rule.path);
        assert_eq!(operation["operationId"], rule.operation_id.as_str());
    }
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .count()
        })
        .sum();
    assert_eq!(operations, rules.len());
}

#[test]
fn every_rpc_in_the_protos_has_a_rule() {
    let protos = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto/plaza");
    let mut rpcs = 0;
    for service in std::fs::read_dir(protos).unwrap() {
        let version = service.unwrap().path().join("v1");
        for file in std::fs::read_dir(version).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            rpcs += text
                .lines()
                .filter(|line| line.trim_start().starts_with("rpc "))
                .count();
        }
    }
    let rules = http_rules(FILE_DESCRIPTOR_SET).unwrap();
    // An additional binding's operation id is the RPC's with `_2`, `_3`, ... after it.
    let mut rpcs_with_rules: Vec<&str> = rules
        .iter()
        .map(|rule| match rule.operation_id.rsplit_once('_') {
            Some((rpc, n)) if n.parse::<u32>().is_ok() => rpc,
            _ => rule.operation_id.as_str(),
        })
        .collect();
    rpcs_with_rules.sort_unstable();
    rpcs_with_rules.dedup();
    assert!(rpcs > 0);
    assert_eq!(rpcs_with_rules.len(), rpcs, "every rpc has an http rule");
}

#[test]
fn get_store_has_a_required_id_path_parameter() {
    let document = document();
    let operation = operation(&document, "get", "/api/v1/stores/{id}");
    assert_eq!(
        operation["operationId"],
        "plaza.inventory.v1.InventoryService.GetStore"
    );
    assert_eq!(operation["tags"][0], "InventoryService");
    let id = parameter(operation, "path", "id");
    assert_eq!(id["required"], true);
    assert_eq!(id["schema"]["type"], "string");
    let response = &operation["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(
        response["$ref"],
        "#/components/schemas/plaza.inventory.v1.Store"
    );
}

#[test]
fn path_fields_keep_their_proto_names_and_leave_the_body() {
    let document = document();
    let add = operation(&document, "post", "/api/v1/stores/{store_id}/products");
    assert_eq!(parameter(add, "path", "store_id")["required"], true);
    let body = &add["requestBody"]["content"]["application/json"]["schema"];
    let properties = body["properties"].as_object().unwrap();
    assert!(properties.contains_key("priceCents"));
    assert!(!properties.contains_key("storeId") && !properties.contains_key("store_id"));

    let update = operation(&document, "put", "/api/v1/stores/{id}");
    let body = &update["requestBody"]["content"]["application/json"]["schema"];
    let mut names: Vec<&String> = body["properties"].as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["location", "name"]);
}

#[test]
fn create_order_body_lists_items_by_reference() {
    let document = document();
    let operation = operation(&document, "post", "/api/v1/orders");
    assert_eq!(operation["requestBody"]["required"], true);
    let body = resolve(
        &document,
        &operation["requestBody"]["content"]["application/json"]["schema"],
    );
    let items = &body["properties"]["items"];
    assert_eq!(items["type"], "array");
    assert_eq!(
        items["items"]["$ref"],
        "#/components/schemas/plaza.ordering.v1.CreateOrderRequest.Item"
    );
    let item = schema(&document, "plaza.ordering.v1.CreateOrderRequest.Item");
    assert_eq!(item["properties"]["productId"]["type"], "string");
    assert_eq!(item["properties"]["quantity"]["type"], "integer");
}

#[test]
fn int64_fields_are_strings() {
    let document = document();
    let price = &schema(&document, "plaza.inventory.v1.Product")["properties"]["priceCents"];
    assert_eq!(price["type"], "string");
    assert_eq!(price["format"], "int64");
    let stock = &schema(&document, "plaza.inventory.v1.Product")["properties"]["stock"];
    assert_eq!(stock["type"], "integer");
    assert_eq!(stock["format"], "int32");
}

#[test]
fn well_known_types_take_their_json_forms() {
    let document = document();
    let order = schema(&document, "plaza.ordering.v1.Order");
    assert_eq!(order["properties"]["createTime"]["type"], "string");
    assert_eq!(order["properties"]["createTime"]["format"], "date-time");
    let event = schema(&document, "plaza.ordering.v1.OrderEvent");
    assert_eq!(event["properties"]["data"]["type"], "object");
    assert_eq!(event["properties"]["data"]["additionalProperties"], true);
    let components = document["components"]["schemas"].as_object().unwrap();
    assert!(
        !components
            .keys()
            .any(|name| name.starts_with("google.protobuf."))
    );
}

#[test]
fn order_status_is_a_string_enum() {
    let document = document();
    let order = schema(&document, "plaza.ordering.v1.Order");
    let status = resolve(&document, &order["properties"]["status"]);
    assert_eq!(status["type"], "string");
    let values = status["enum"].as_array().unwrap();
    assert!(values.iter().any(|v| v == "ORDER_STATUS_ACCEPTED"));
    // A referenced type keeps the field's own comment beside the reference.
    let reason = &order["properties"]["rejectReason"];
    assert_eq!(reason["description"], "Set when the order is REJECTED.");
    assert_eq!(resolve(&document, reason)["type"], "string");
}

#[test]
fn list_orders_takes_its_filters_as_query_parameters() {
    let document = document();
    let operation = operation(&document, "get", "/api/v1/orders");
    assert_eq!(
        parameter(operation, "query", "customerId")["schema"]["type"],
        "string"
    );
    assert_eq!(
        parameter(operation, "query", "pageSize")["schema"]["type"],
        "integer"
    );
    assert_eq!(
        parameter(operation, "query", "pageToken")["schema"]["type"],
        "string"
    );
    assert!(operation.get("requestBody").is_none());

    let events = self::operation(&document, "get", "/api/v1/events");
    let sort = resolve(&document, &parameter(events, "query", "sort")["schema"]);
    assert!(
        sort["enum"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "SORT_ORDER_DESCENDING")
    );
    // A path field is not also a query parameter.
    let get = self::operation(&document, "get", "/api/v1/orders/{id}");
    assert_eq!(get["parameters"].as_array().unwrap().len(), 1);
}

#[test]
fn pay_order_keeps_its_custom_verb() {
    let document = document();
    let operation = operation(&document, "post", "/api/v1/orders/{id}:pay");
    assert_eq!(
        operation["operationId"],
        "plaza.ordering.v1.OrderingService.PayOrder"
    );
    assert_eq!(parameter(operation, "path", "id")["required"], true);
    // `body: "*"` with every field in the path: an empty body may be sent.
    assert_eq!(operation["requestBody"]["required"], false);
}

#[test]
fn delete_store_answers_an_empty_object() {
    let document = document();
    let operation = operation(&document, "delete", "/api/v1/stores/{id}");
    let response = resolve(
        &document,
        &operation["responses"]["200"]["content"]["application/json"]["schema"],
    );
    assert_eq!(response["type"], "object");
    assert!(response.get("properties").is_none());
}

#[test]
fn errors_are_grpc_statuses() {
    let document = document();
    let operation = operation(&document, "get", "/api/v1/customers/{id}");
    for status in ["400", "404", "409", "default"] {
        let error = &operation["responses"][status]["content"]["application/json"]["schema"];
        let error = resolve(&document, error);
        assert_eq!(error["properties"]["code"]["type"], "integer", "{status}");
        assert_eq!(error["properties"]["message"]["type"], "string", "{status}");
        assert_eq!(
            error["properties"]["details"]["items"]["type"], "object",
            "{status}"
        );
    }
}

#[test]
fn proto_comments_become_descriptions() {
    let document = document();
    let tags = document["tags"].as_array().unwrap();
    let names: Vec<&str> = tags.iter().map(|t| t["name"].as_str().unwrap()).collect();
    for service in [
        "CustomersService",
        "InventoryService",
        "PaymentsService",
        "OrderingService",
    ] {
        assert!(names.contains(&service), "no tag {service}");
    }
    let operation = operation(&document, "post", "/api/v1/customers");
    assert_eq!(operation["summary"], "Register customer");
    let description = operation["description"].as_str().unwrap();
    assert!(
        description.starts_with("Registers a new customer and signs them in."),
        "{description}"
    );
    let product = schema(&document, "plaza.inventory.v1.Product");
    assert_eq!(
        product["properties"]["priceCents"]["description"],
        "Price in euro cents."
    );
}

#[test]
fn every_ref_points_to_a_schema() {
    fn references<'d>(value: &'d Value, found: &mut Vec<&'d str>) {
        match value {
            Value::Object(fields) => {
                if let Some(Value::String(reference)) = fields.get("$ref") {
                    found.push(reference);
                }
                fields.values().for_each(|v| references(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }
    let document = document();
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(!found.is_empty());
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let mut named = std::collections::BTreeSet::new();
    for reference in found {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{reference} is not a schema reference"));
        assert!(schemas.contains_key(name), "{reference} points nowhere");
        named.insert(name);
    }
    // And no schema is left over: each one is reachable from an operation.
    let unused: Vec<&String> = schemas
        .keys()
        .filter(|k| !named.contains(k.as_str()))
        .collect();
    assert!(unused.is_empty(), "unreferenced schemas: {unused:?}");
}

#[test]
fn the_web_ui_builds_its_api_types_from_the_current_document() {
    let committed =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/src/api/openapi.json");
    let committed = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        committed == plaza_openapi::document_text(FILE_DESCRIPTOR_SET).unwrap(),
        "web/src/api/openapi.json is stale: run `make web-api` and commit it"
    );
}

#[test]
fn a_bearer_token_can_go_with_any_call() {
    let document = document();
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    );
    assert_eq!(document["security"], json!([{"bearer": []}, {}]));
}
