//! The OpenAPI 3.0 document of Plaza's REST API, generated at run time from the encoded file
//! descriptor set of the protos, so the API docs cannot drift from what Envoy's gRPC-JSON
//! transcoder serves. Every RPC with a `google.api.http` rule is an operation; its request and
//! response messages are schemas in the proto3 JSON mapping that the transcoder speaks
//! (lowerCamelCase names, enums by name, 64-bit integers as strings, timestamps as RFC 3339);
//! errors are the `{code, message, details}` body of Envoy's `convert_grpc_status`.

mod rules;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Context, bail};
use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorSet};
use serde_json::{Map, Value, json};

use rules::Binding;

/// The schema name of the error body, which is `google.rpc.Status` in JSON.
const ERROR_SCHEMA: &str = "google.rpc.Status";

/// One HTTP binding of an RPC, as it appears in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRule {
    /// Lowercase, as OpenAPI writes it: `get`, `post`, ...
    pub method: String,
    /// The path template as OpenAPI writes it, e.g. `/api/v1/stores/{store_id}/products`.
    pub path: String,
    /// The RPC's full name, e.g. `plaza.inventory.v1.InventoryService.GetStore` (an additional
    /// binding gets `_2`, `_3`, ... after it, since OpenAPI wants operation ids unique).
    pub operation_id: String,
}

/// Every (HTTP method lowercase, path template as OpenAPI writes it, operationId) of the
/// descriptor set's http rules, additional bindings included.
pub fn http_rules(descriptor_set: &[u8]) -> anyhow::Result<Vec<HttpRule>> {
    Ok(rules::bindings(descriptor_set)?
        .into_iter()
        .map(|binding| binding.rule)
        .collect())
}

/// The OpenAPI document of every RPC with a `google.api.http` rule in `descriptor_set` (an
/// encoded `google.protobuf.FileDescriptorSet` that includes imports).
pub fn openapi(descriptor_set: &[u8]) -> anyhow::Result<Value> {
    let set =
        FileDescriptorSet::decode(descriptor_set).context("decoding the file descriptor set")?;
    let types = Types::new(&set);
    let mut schemas = Schemas::new(&types);
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut tags: Vec<Value> = Vec::new();
    for binding in rules::bindings(descriptor_set)? {
        let operation = operation(&binding, &mut schemas)
            .with_context(|| format!("describing {}", binding.rule.operation_id))?;
        let rule = &binding.rule;
        let item = paths.entry(rule.path.clone()).or_default();
        if item.insert(rule.method.clone(), operation).is_some() {
            bail!("two http rules bind {} {}", rule.method, rule.path);
        }
        if !tags
            .iter()
            .any(|tag| tag["name"] == binding.service.as_str())
        {
            let comment = types.comment(binding.file, &[6, binding.service_index]);
            tags.push(with_description(json!({"name": binding.service}), comment));
        }
    }
    let mut components = schemas.finish()?;
    components.insert(ERROR_SCHEMA.to_owned(), error_schema());
    Ok(json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Plaza API",
            "version": "v1",
            "description": "Generated at run time from the protos' `google.api.http` rules, as \
                Envoy's gRPC-JSON transcoder serves them. Bodies use the proto3 JSON mapping: \
                lowerCamelCase field names, enums by name, 64-bit integers as strings, \
                timestamps as RFC 3339 strings. An error is `{code, message, details}` with the \
                gRPC status code, under the HTTP status Envoy maps that code to. Calls other \
                than the catalog, registration and sign-in take a bearer token (a customer's \
                from registering or signing in, or an admin's): without one 401, without the \
                right 403; each service's description says who may call what.",
        },
        "servers": [{"url": "/"}],
        // A token or none: which operations need one is in the services' descriptions, and
        // enforced by Envoy and the services, not by this document.
        "security": [{BEARER: []}, {}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }))
}

/// The name of the token scheme (`authorization: Bearer <JWT>`).
const BEARER: &str = "bearer";

/// [`openapi`] as the text written to files: pretty JSON ending in a newline.
pub fn document_text(descriptor_set: &[u8]) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(&openapi(descriptor_set)?)
        .context("writing the OpenAPI document as JSON")?;
    text.push('\n');
    Ok(text)
}

/// The operation object of one binding.
fn operation(binding: &Binding, schemas: &mut Schemas) -> anyhow::Result<Value> {
    let types = schemas.types;
    let input = types.message(&binding.input_type)?;
    let mut parameters = Vec::new();
    for field_path in &binding.path_fields {
        let Some(field) = types.field_at(input, field_path) else {
            bail!("the path binds {field_path}, which the request does not have");
        };
        let parameter = json!({
            "name": field_path,
            "in": "path",
            "required": true,
            "schema": schemas.single(field),
        });
        parameters.push(with_description(
            parameter,
            input.field_comment(types, field_path),
        ));
    }

    let is_path_field =
        |field: &FieldDescriptorProto| binding.path_fields.iter().any(|path| path == field.name());
    let request_body = match binding.body.as_str() {
        "" => None,
        "*" if binding.path_fields.is_empty() => Some((true, schemas.named(&binding.input_type))),
        "*" => {
            // The path carries some fields, so the body is the rest: an inline object, since
            // the message's own schema would list the path fields too.
            let properties = schemas.properties(input, |field| !is_path_field(field));
            let any_left = !properties.is_empty();
            Some((
                any_left,
                json!({"type": "object", "properties": properties}),
            ))
        }
        name => {
            let Some(field) = input.proto.field.iter().find(|f| f.name() == name) else {
                bail!("the body is {name}, which the request does not have");
            };
            Some((true, schemas.field(field)))
        }
    };

    // Without `body: "*"`, the request fields the path and body leave free are query
    // parameters. Only non-message fields are offered: Envoy would take nested fields as
    // `a.b=...`, but no Plaza request needs that.
    if binding.body != "*" {
        for (index, field) in (0..).zip(&input.proto.field) {
            let free = !is_path_field(field) && field.name() != binding.body;
            if free && !matches!(field.r#type(), Type::Message | Type::Group) {
                let parameter = json!({
                    "name": json_name(field),
                    "in": "query",
                    "schema": schemas.field(field),
                });
                let comment = types.comment(input.file, &input.child_path(2, index));
                parameters.push(with_description(parameter, comment));
            }
        }
    }

    let output = types.message(&binding.output_type)?;
    let response = if binding.response_body.is_empty() {
        schemas.named(&binding.output_type)
    } else {
        let name = &binding.response_body;
        let Some(field) = output.proto.field.iter().find(|f| f.name() == name) else {
            bail!("the response body is {name}, which the response does not have");
        };
        schemas.field(field)
    };

    let mut operation = json!({
        "tags": [binding.service],
        "operationId": binding.rule.operation_id,
        "summary": words(&binding.rpc),
        "responses": responses(response),
    });
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    if let Some((required, schema)) = request_body {
        operation["requestBody"] = json!({
            "required": required,
            "content": {"application/json": {"schema": schema}},
        });
    }
    let comment = types.comment(
        binding.file,
        &[6, binding.service_index, 2, binding.method_index],
    );
    Ok(with_description(operation, comment))
}

/// The answer on success, and the errors Envoy's `convert_grpc_status` turns gRPC codes into
/// (its mapping: INVALID_ARGUMENT, FAILED_PRECONDITION and OUT_OF_RANGE are 400, NOT_FOUND 404,
/// ALREADY_EXISTS and ABORTED 409).
fn responses(success: Value) -> Value {
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {
                "$ref": format!("#/components/schemas/{ERROR_SCHEMA}"),
            }}},
        })
    };
    json!({
        "200": {"description": "OK", "content": {"application/json": {"schema": success}}},
        "400": error("INVALID_ARGUMENT (the message names the field), FAILED_PRECONDITION or \
            OUT_OF_RANGE; or a request Envoy could not read: malformed JSON, a wrong type, an \
            unknown query parameter"),
        "404": error("NOT_FOUND"),
        "409": error("ALREADY_EXISTS or ABORTED"),
        "default": error("Any other gRPC status, under the HTTP status Envoy maps it to"),
    })
}

/// The body Envoy writes for a gRPC error (and, through its local reply config, for its own
/// refusals). Written out rather than derived from `google.rpc.Status` because its `details`
/// are `google.protobuf.Any` objects, which no message in the set describes.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "A gRPC status: the error body of every operation.",
        "properties": {
            "code": {"type": "integer", "format": "int32", "description": "The gRPC status code, e.g. 3 for INVALID_ARGUMENT."},
            "message": {"type": "string"},
            "details": {"type": "array", "items": any_schema()},
        },
    })
}

/// A `google.protobuf.Any` in JSON: its type URL beside the fields of the message it holds.
fn any_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "additionalProperties": true,
    })
}

/// Every message and enum of the set by full name (with the leading dot, as fields name their
/// types), and every comment by its file and source path.
#[derive(Debug)]
struct Types<'a> {
    messages: HashMap<String, Declared<'a, DescriptorProto>>,
    enums: HashMap<String, Declared<'a, EnumDescriptorProto>>,
    comments: HashMap<(usize, Vec<i32>), String>,
}

/// A message or enum and where it is declared, for its comments.
#[derive(Debug)]
struct Declared<'a, T> {
    proto: &'a T,
    file: usize,
    /// Its path in `SourceCodeInfo` terms, e.g. `[4, 0, 3, 1]` for a message's second nested
    /// message.
    path: Vec<i32>,
}

impl<T> Declared<'_, T> {
    fn child_path(&self, field_number: i32, index: i32) -> Vec<i32> {
        let mut path = self.path.clone();
        path.extend([field_number, index]);
        path
    }
}

impl Declared<'_, DescriptorProto> {
    fn field_comment<'t>(&self, types: &'t Types, name: &str) -> Option<&'t str> {
        let index = (0..)
            .zip(&self.proto.field)
            .find(|(_, f)| f.name() == name)?
            .0;
        types.comment(self.file, &self.child_path(2, index))
    }
}

impl<'a> Types<'a> {
    fn new(set: &'a FileDescriptorSet) -> Self {
        let mut types = Types {
            messages: HashMap::new(),
            enums: HashMap::new(),
            comments: HashMap::new(),
        };
        for (file, proto_file) in set.file.iter().enumerate() {
            let scope = match proto_file.package() {
                "" => String::new(),
                package => format!(".{package}"),
            };
            // Field numbers of FileDescriptorProto: message_type is 4, enum_type 5.
            for (index, message) in (0..).zip(&proto_file.message_type) {
                types.add_message(file, &scope, message, vec![4, index]);
            }
            for (index, enumeration) in (0..).zip(&proto_file.enum_type) {
                types.add_enum(file, &scope, enumeration, vec![5, index]);
            }
            // The set may come without source info (protoc's --include_source_info); then the
            // document simply has no descriptions.
            let locations = proto_file.source_code_info.iter().flat_map(|i| &i.location);
            for location in locations {
                let comment = clean_comment(location.leading_comments());
                if !comment.is_empty() {
                    types
                        .comments
                        .insert((file, location.path.clone()), comment);
                }
            }
        }
        types
    }

    fn add_message(
        &mut self,
        file: usize,
        scope: &str,
        message: &'a DescriptorProto,
        path: Vec<i32>,
    ) {
        let name = format!("{scope}.{}", message.name());
        // Field numbers of DescriptorProto: nested_type is 3, enum_type 4.
        for (index, nested) in (0..).zip(&message.nested_type) {
            self.add_message(file, &name, nested, [path.as_slice(), &[3, index]].concat());
        }
        for (index, enumeration) in (0..).zip(&message.enum_type) {
            self.add_enum(
                file,
                &name,
                enumeration,
                [path.as_slice(), &[4, index]].concat(),
            );
        }
        self.messages.insert(
            name,
            Declared {
                proto: message,
                file,
                path,
            },
        );
    }

    fn add_enum(
        &mut self,
        file: usize,
        scope: &str,
        enumeration: &'a EnumDescriptorProto,
        path: Vec<i32>,
    ) {
        let name = format!("{scope}.{}", enumeration.name());
        self.enums.insert(
            name,
            Declared {
                proto: enumeration,
                file,
                path,
            },
        );
    }

    fn message(&self, type_name: &str) -> anyhow::Result<&Declared<'a, DescriptorProto>> {
        self.messages
            .get(type_name)
            .with_context(|| format!("message {type_name} is not in the descriptor set"))
    }

    /// The field a path template names: `id`, or `book.name` through a nested message.
    fn field_at(
        &self,
        message: &Declared<'a, DescriptorProto>,
        field_path: &str,
    ) -> Option<&'a FieldDescriptorProto> {
        let mut message = message.proto;
        let mut names = field_path.split('.').peekable();
        loop {
            let name = names.next()?;
            let field = message.field.iter().find(|f| f.name() == name)?;
            if names.peek().is_none() {
                return Some(field);
            }
            message = self.messages.get(field.type_name())?.proto;
        }
    }

    fn comment(&self, file: usize, path: &[i32]) -> Option<&str> {
        self.comments
            .get(&(file, path.to_vec()))
            .map(String::as_str)
    }
}

/// The schemas the operations refer to, built as they are first named.
#[derive(Debug)]
struct Schemas<'a> {
    types: &'a Types<'a>,
    /// Every message and enum named so far (without the leading dot).
    named: BTreeSet<String>,
    /// Those whose schema is still to be built.
    queued: Vec<String>,
}

impl<'a> Schemas<'a> {
    fn new(types: &'a Types<'a>) -> Self {
        Schemas {
            types,
            named: BTreeSet::new(),
            queued: Vec::new(),
        }
    }

    /// A message's or enum's schema: a well-known type inline, anything else a `$ref` to its
    /// component, named by its full name.
    fn named(&mut self, type_name: &str) -> Value {
        if let Some(schema) = well_known(type_name) {
            return schema;
        }
        let name = type_name.trim_start_matches('.');
        if self.named.insert(name.to_owned()) {
            self.queued.push(name.to_owned());
        }
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    /// A field's schema: a map as an object, a repeated field as an array.
    fn field(&mut self, field: &FieldDescriptorProto) -> Value {
        if field.label() != Label::Repeated {
            return self.single(field);
        }
        let map_entry = self
            .types
            .messages
            .get(field.type_name())
            .filter(|entry| entry.proto.options.as_ref().is_some_and(|o| o.map_entry()));
        match map_entry.and_then(|entry| entry.proto.field.iter().find(|f| f.number() == 2)) {
            // JSON object keys are strings whatever the key type, so only the value matters.
            Some(value) => json!({"type": "object", "additionalProperties": self.single(value)}),
            None => json!({"type": "array", "items": self.single(field)}),
        }
    }

    /// The schema of one value of a field, ignoring `repeated`.
    fn single(&mut self, field: &FieldDescriptorProto) -> Value {
        scalar(field.r#type()).unwrap_or_else(|| self.named(field.type_name()))
    }

    /// The JSON properties of the message's fields that `keep` accepts, with their comments.
    fn properties(
        &mut self,
        message: &Declared<'a, DescriptorProto>,
        keep: impl Fn(&FieldDescriptorProto) -> bool,
    ) -> Map<String, Value> {
        let mut properties = Map::new();
        for (index, field) in (0..).zip(&message.proto.field) {
            if keep(field) {
                let comment = self
                    .types
                    .comment(message.file, &message.child_path(2, index));
                let schema = described(self.field(field), comment);
                properties.insert(json_name(field), schema);
            }
        }
        properties
    }

    /// Builds the schema of everything named so far, and of whatever those name in turn.
    fn finish(mut self) -> anyhow::Result<Map<String, Value>> {
        let mut built = BTreeMap::new();
        while let Some(name) = self.queued.pop() {
            let type_name = format!(".{name}");
            let types = self.types;
            let schema = if let Some(message) = types.messages.get(&type_name) {
                let properties = self.properties(message, |_| true);
                let mut schema = json!({"type": "object"});
                if !properties.is_empty() {
                    schema["properties"] = Value::Object(properties);
                }
                with_description(schema, types.comment(message.file, &message.path))
            } else if let Some(enumeration) = types.enums.get(&type_name) {
                enum_schema(types, enumeration)
            } else {
                bail!("type {name} is not in the descriptor set");
            };
            built.insert(name, schema);
        }
        Ok(built.into_iter().collect())
    }
}

/// An enum as the JSON mapping writes it: by value name. The value comments go into the
/// description, since a schema has nowhere else to put them.
fn enum_schema(types: &Types, enumeration: &Declared<EnumDescriptorProto>) -> Value {
    let names: Vec<&str> = enumeration.proto.value.iter().map(|v| v.name()).collect();
    // The value comments become a list under the enum's own comment.
    let values: Vec<String> = (0..)
        .zip(&enumeration.proto.value)
        .filter_map(|(index, value)| {
            let comment = types.comment(enumeration.file, &enumeration.child_path(2, index))?;
            Some(format!(
                "- `{}`: {}",
                value.name(),
                comment.replace('\n', " ")
            ))
        })
        .collect();
    let own = types.comment(enumeration.file, &enumeration.path);
    let description = [own.unwrap_or_default(), &values.join("\n")]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let schema = json!({"type": "string", "enum": names});
    with_description(schema, Some(description.as_str()).filter(|d| !d.is_empty()))
}

/// The JSON schema of a scalar field type; `None` for messages and enums, which are named
/// schemas. 64-bit integers are strings in proto3 JSON; unsigned 32-bit ones need int64's
/// range (the same choices as grpc-gateway's protoc-gen-openapiv2).
fn scalar(kind: Type) -> Option<Value> {
    let schema = match kind {
        Type::Message | Type::Group | Type::Enum => return None,
        Type::Bool => json!({"type": "boolean"}),
        Type::String => json!({"type": "string"}),
        Type::Bytes => json!({"type": "string", "format": "byte"}),
        Type::Double => json!({"type": "number", "format": "double"}),
        Type::Float => json!({"type": "number", "format": "float"}),
        Type::Int32 | Type::Sint32 | Type::Sfixed32 => {
            json!({"type": "integer", "format": "int32"})
        }
        Type::Uint32 | Type::Fixed32 => json!({"type": "integer", "format": "int64"}),
        Type::Int64 | Type::Sint64 | Type::Sfixed64 => json!({"type": "string", "format": "int64"}),
        Type::Uint64 | Type::Fixed64 => json!({"type": "string", "format": "uint64"}),
    };
    Some(schema)
}

/// The well-known types, which the JSON mapping writes in their own forms rather than as
/// objects of their fields.
fn well_known(type_name: &str) -> Option<Value> {
    let schema = match type_name.strip_prefix(".google.protobuf.")? {
        "Timestamp" => json!({"type": "string", "format": "date-time"}),
        "Duration" => {
            json!({"type": "string", "description": "Seconds with an `s` suffix, e.g. `1.5s`."})
        }
        "FieldMask" => {
            json!({"type": "string", "description": "Comma-separated lowerCamelCase field paths."})
        }
        "Empty" => json!({"type": "object"}),
        "Struct" => json!({"type": "object", "additionalProperties": true}),
        "Value" => json!({}),
        "ListValue" => json!({"type": "array", "items": {}}),
        "Any" => any_schema(),
        "DoubleValue" => scalar(Type::Double)?,
        "FloatValue" => scalar(Type::Float)?,
        "Int64Value" => scalar(Type::Int64)?,
        "UInt64Value" => scalar(Type::Uint64)?,
        "Int32Value" => scalar(Type::Int32)?,
        "UInt32Value" => scalar(Type::Uint32)?,
        "BoolValue" => scalar(Type::Bool)?,
        "StringValue" => scalar(Type::String)?,
        "BytesValue" => scalar(Type::Bytes)?,
        _ => return None,
    };
    Some(schema)
}

/// The field's JSON name: protoc records it in the descriptor; the fallback is the mapping's own
/// rule (lowerCamelCase of the proto name).
fn json_name(field: &FieldDescriptorProto) -> String {
    if let Some(name) = &field.json_name {
        return name.clone();
    }
    let mut name = String::new();
    let mut upper = false;
    for c in field.name().chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                name.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => name.push(c),
        }
    }
    name
}

/// `BatchGetProducts` as a summary: `Batch get products`.
fn words(name: &str) -> String {
    let mut words = String::new();
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            words.push(' ');
            words.push(c.to_ascii_lowercase());
        } else {
            words.push(c);
        }
    }
    words
}

/// A proto comment as Markdown: without the space protoc keeps after `//`.
fn clean_comment(comment: &str) -> String {
    let lines: Vec<&str> = comment
        .lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect();
    lines.join("\n").trim().to_owned()
}

/// A schema with a description; a `$ref` takes no siblings in OpenAPI 3.0, so it is wrapped in
/// an `allOf` of one to carry the field's own comment.
fn described(schema: Value, description: Option<&str>) -> Value {
    match (description, schema.get("$ref")) {
        (Some(description), Some(_)) => json!({"allOf": [schema], "description": description}),
        _ => with_description(schema, description),
    }
}

fn with_description(mut object: Value, description: Option<&str>) -> Value {
    if let (Some(description), Some(fields)) = (description, object.as_object_mut()) {
        fields.insert("description".to_owned(), Value::from(description));
    }
    object
}
