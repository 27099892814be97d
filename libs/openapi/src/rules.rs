//! The `google.api.http` rules of a descriptor set.
//!
//! `google.api.http` is an extension of `google.protobuf.MethodOptions` (field 72295728), and
//! prost keeps only the fields a message declares: `prost_types::MethodOptions` loses it. So the
//! set is decoded a second time into the few messages below, whose `MethodOptions` declares
//! that one field. prost skips every other option on the wire and decodes the rule itself.

use anyhow::{Context, bail};
use prost::Message;

use crate::HttpRule;

#[derive(Clone, PartialEq, Message)]
struct FileSet {
    #[prost(message, repeated, tag = "1")]
    file: Vec<File>,
}

#[derive(Clone, PartialEq, Message)]
struct File {
    #[prost(string, optional, tag = "2")]
    package: Option<String>,
    #[prost(message, repeated, tag = "6")]
    service: Vec<Service>,
}

#[derive(Clone, PartialEq, Message)]
struct Service {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, repeated, tag = "2")]
    method: Vec<Method>,
}

#[derive(Clone, PartialEq, Message)]
struct Method {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    input_type: Option<String>,
    #[prost(string, optional, tag = "3")]
    output_type: Option<String>,
    #[prost(message, optional, tag = "4")]
    options: Option<MethodOptions>,
}

#[derive(Clone, PartialEq, Message)]
struct MethodOptions {
    /// The `(google.api.http)` extension.
    #[prost(message, optional, tag = "72295728")]
    http: Option<Rule>,
}

/// `google.api.HttpRule` (google/api/http.proto).
#[derive(Clone, PartialEq, Message)]
struct Rule {
    #[prost(oneof = "Pattern", tags = "2, 3, 4, 5, 6, 8")]
    pattern: Option<Pattern>,
    #[prost(string, tag = "7")]
    body: String,
    #[prost(message, repeated, tag = "11")]
    additional_bindings: Vec<Rule>,
    #[prost(string, tag = "12")]
    response_body: String,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum Pattern {
    #[prost(string, tag = "2")]
    Get(String),
    #[prost(string, tag = "3")]
    Put(String),
    #[prost(string, tag = "4")]
    Post(String),
    #[prost(string, tag = "5")]
    Delete(String),
    #[prost(string, tag = "6")]
    Patch(String),
    #[prost(message, tag = "8")]
    Custom(CustomPattern),
}

#[derive(Clone, PartialEq, Message)]
struct CustomPattern {
    #[prost(string, tag = "1")]
    kind: String,
    #[prost(string, tag = "2")]
    path: String,
}

/// One HTTP binding of an RPC: the public rule plus what the document needs to describe it.
#[derive(Debug)]
pub(crate) struct Binding {
    pub rule: HttpRule,
    /// The request fields the path template binds, as written there (`store_id`, `book.name`).
    pub path_fields: Vec<String>,
    /// Empty (no body), `*` (the request minus path fields), or one request field's name.
    pub body: String,
    /// Empty (the whole response) or the response field that is the HTTP body.
    pub response_body: String,
    /// The service's simple name: the operation's tag.
    pub service: String,
    /// The method's simple name, e.g. `GetStore`.
    pub rpc: String,
    /// Fully qualified, with a leading dot, as descriptors write type names.
    pub input_type: String,
    pub output_type: String,
    /// Where the service and the method sit in their file, for their comments.
    pub file: usize,
    pub service_index: i32,
    pub method_index: i32,
}

/// Every binding of every method that has a `google.api.http` option, in descriptor order.
pub(crate) fn bindings(descriptor_set: &[u8]) -> anyhow::Result<Vec<Binding>> {
    let set = FileSet::decode(descriptor_set).context("decoding the file descriptor set")?;
    let mut bindings = Vec::new();
    for (file, proto_file) in set.file.iter().enumerate() {
        let package = proto_file.package.as_deref().unwrap_or_default();
        for (service_index, service) in (0..).zip(&proto_file.service) {
            let service_name = service.name.as_deref().unwrap_or_default();
            let service_full = qualified(package, service_name);
            for (method_index, method) in (0..).zip(&service.method) {
                let Some(rule) = method.options.as_ref().and_then(|o| o.http.as_ref()) else {
                    continue;
                };
                let method_full = format!(
                    "{service_full}.{}",
                    method.name.as_deref().unwrap_or_default()
                );
                // Additional bindings are further operations of the same RPC; OpenAPI wants
                // operation ids unique, so they get a suffix.
                let all = std::iter::once(rule).chain(&rule.additional_bindings);
                for (number, binding) in (1..).zip(all) {
                    let operation_id = match number {
                        1 => method_full.clone(),
                        n => format!("{method_full}_{n}"),
                    };
                    let (http_method, template) = pattern(binding)
                        .with_context(|| format!("the http rule of {method_full}"))?;
                    let (path, path_fields) = openapi_path(template)
                        .with_context(|| format!("the http rule of {method_full}"))?;
                    bindings.push(Binding {
                        rule: HttpRule {
                            method: http_method,
                            path,
                            operation_id,
                        },
                        path_fields,
                        body: binding.body.clone(),
                        response_body: binding.response_body.clone(),
                        service: service_name.to_owned(),
                        rpc: method.name.clone().unwrap_or_default(),
                        input_type: method.input_type.clone().unwrap_or_default(),
                        output_type: method.output_type.clone().unwrap_or_default(),
                        file,
                        service_index,
                        method_index,
                    });
                }
            }
        }
    }
    Ok(bindings)
}

fn qualified(package: &str, name: &str) -> String {
    if package.is_empty() {
        name.to_owned()
    } else {
        format!("{package}.{name}")
    }
}

/// The lowercase HTTP method and the path template of a rule.
fn pattern(rule: &Rule) -> anyhow::Result<(String, &str)> {
    let (method, path) = match &rule.pattern {
        Some(Pattern::Get(path)) => ("get", path),
        Some(Pattern::Put(path)) => ("put", path),
        Some(Pattern::Post(path)) => ("post", path),
        Some(Pattern::Delete(path)) => ("delete", path),
        Some(Pattern::Patch(path)) => ("patch", path),
        Some(Pattern::Custom(custom)) => {
            let kind = custom.kind.to_ascii_lowercase();
            // The methods an OpenAPI path item can hold; any other would vanish from the docs.
            let openapi_methods = [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ];
            if !openapi_methods.contains(&kind.as_str()) {
                bail!("custom method {} has no place in OpenAPI", custom.kind);
            }
            return Ok((kind, &custom.path));
        }
        None => bail!("no method and path"),
    };
    Ok((method.to_owned(), path))
}

/// A rule's path template as OpenAPI writes it, and the fields it binds:
/// `/v1/{name=shelves/*}:undelete` becomes `/v1/{name}:undelete` binding `name`. A custom verb
/// (`:pay`) stays part of the path. A variable with a multi-segment pattern keeps only its name:
/// OpenAPI cannot say that the value may contain slashes.
pub(crate) fn openapi_path(template: &str) -> anyhow::Result<(String, Vec<String>)> {
    let mut path = String::new();
    let mut fields = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(length) = rest[start..].find('}') else {
            bail!("unclosed `{{` in path template {template}");
        };
        let variable = &rest[start + 1..start + length];
        let field = variable
            .split_once('=')
            .map_or(variable, |(field, _)| field);
        path.push_str(&rest[..start]);
        path.push('{');
        path.push_str(field);
        path.push('}');
        fields.push(field.to_owned());
        rest = &rest[start + length + 1..];
    }
    path.push_str(rest);
    Ok((path, fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_variables_lose_their_patterns_and_keep_custom_verbs() {
        let (path, fields) = openapi_path("/v1/{name=shelves/*}/books/{book_id}:undelete").unwrap();
        assert_eq!(path, "/v1/{name}/books/{book_id}:undelete");
        assert_eq!(fields, ["name", "book_id"]);
        assert!(openapi_path("/v1/{name").is_err());
    }

    #[test]
    fn the_http_option_is_read_among_other_method_options() {
        let rule = Rule {
            pattern: Some(Pattern::Post("/api/v1/things".to_owned())),
            body: "*".to_owned(),
            ..Rule::default()
        };
        // `deprecated = true` (field 33, varint) before the extension, as protoc may write it.
        let mut options = vec![0x88, 0x02, 0x01];
        prost::encoding::message::encode(72_295_728, &rule, &mut options);
        let decoded = MethodOptions::decode(options.as_slice()).unwrap();
        assert_eq!(decoded.http, Some(rule));
    }
}
