//! Hostile bytes on every gRPC call that carries a value: broken msgpack, wrong types, absurd
//! sizes, bad JSON fallbacks and unreadable raw states, over the real mTLS connection. Each is
//! refused with a diagnostic, never a panic, and the process keeps serving.
//! See docs/reliability.md for what the test proves.

use std::process::Stdio;

use terraform_provider_alicloud::plugin::proto::tfplugin6 as pb;
use terraform_provider_alicloud::provider;
use terraform_provider_alicloud::tfvalue::{to_msgpack, Type, Value};

use crate::util::emulator::{Emulator, CLUSTER};
use crate::util::plugin::{dv, errors, start_with_stderr};
use crate::util::TempDir;

/// Payloads that are not a valid value of any schema: broken msgpack, wrong types, truncations,
/// absurd declared sizes, nesting far beyond any schema. Every one must be refused.
fn broken_msgpack() -> Vec<(&'static str, Vec<u8>)> {
    let mut deep = vec![0x91; 100_000];
    deep.push(0xc0);
    vec![
        ("reserved-byte", vec![0xc1]),
        ("int-not-object", vec![0x2a]),
        ("string-not-object", b"\xa5hello".to_vec()),
        ("array-not-object", vec![0x93, 0xc0, 0xc0, 0xc0]),
        ("bool-not-object", vec![0xc3]),
        ("float-not-object", vec![0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]),
        ("map-declares-5-has-0", vec![0x85]),
        ("map-truncated-in-key", b"\x81\xa9db_cl".to_vec()),
        ("map-int-keys", vec![0x81, 0x01, 0x02]),
        (
            "str32-4gib-declared",
            vec![0xdb, 0xff, 0xff, 0xff, 0xff, b'a'],
        ),
        ("bin32-4gib-declared", vec![0xc6, 0xff, 0xff, 0xff, 0xff, 0]),
        (
            "array32-4g-declared",
            vec![0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0],
        ),
        (
            "map32-4g-declared",
            vec![0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0],
        ),
        ("ext32-4gib-declared", vec![0xc9, 0xff, 0xff, 0xff, 0xff, 0]),
        ("nested-100000-deep", deep),
        ("unknown-attribute", b"\x81\xa7nosuchx\xc0".to_vec()),
        ("invalid-utf8-key", b"\x81\xa2\xff\xfe\xc0".to_vec()),
    ]
}

/// Objects that decode as msgpack but hold the wrong type in a real attribute, and one with
/// valid bytes followed by trailing garbage.
fn wrong_typed_objects(ty: &Type, attr: &str) -> Vec<(&'static str, Vec<u8>)> {
    let good = to_msgpack(&Value::null_object(ty), ty).expect("encode a null object");
    let with = |raw: &[u8]| {
        // A one-entry map: `attr` = raw. The codec wants every attribute, so this must fail
        // either for the missing ones or for the wrong type; both are errors.
        let mut b = vec![0x81];
        rmp::encode::write_str(&mut b, attr).expect("key");
        b.extend_from_slice(raw);
        b
    };
    let mut trailing = good.clone();
    trailing.extend_from_slice(&[0xc0, 0xc0]);
    let mut wrong_in_full = Vec::new();
    // Every attribute present, the named one replaced by an array.
    let Type::Object(fields) = ty else {
        panic!("not an object type")
    };
    rmp::encode::write_map_len(&mut wrong_in_full, fields.len() as u32).expect("map");
    for name in fields.keys() {
        rmp::encode::write_str(&mut wrong_in_full, name).expect("key");
        if name == attr {
            wrong_in_full.extend_from_slice(&[0x92, 0x01, 0x02]);
        } else {
            wrong_in_full.push(0xc0);
        }
    }
    vec![
        ("attr-is-array", wrong_in_full),
        ("attr-is-map", with(&[0x81, 0xa1, b'k', 0x01])),
        ("attr-is-bin", with(&[0xc4, 0x02, 0x00, 0x01])),
        ("attr-is-truncated-str", with(&[0xd9, 0xf0, b'p', b'c'])),
        ("trailing-bytes", trailing),
    ]
}

/// JSON fallbacks (`DynamicValue.json`, msgpack empty) that are not JSON of the type.
fn broken_json() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("json-truncated", b"{\"db_cluster_id\": \"pc-".to_vec()),
        ("json-wrong-type", b"[1, 2, 3]".to_vec()),
        ("json-deep", "[".repeat(100_000).into_bytes()),
        ("json-invalid-utf8", b"{\"\xff\": 1}".to_vec()),
        ("json-huge-number", b"{\"timeouts\": 1e99999}".to_vec()),
    ]
}

/// Raw states UpgradeResourceState cannot read.
fn broken_raw_states() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("truncated", b"{\"id\":\"pc-a:1\",\"db_cl".to_vec()),
        ("not-json", b"<html>502</html>".to_vec()),
        ("array", b"[]".to_vec()),
        ("string", b"\"pc-a:1\"".to_vec()),
        ("number", b"42".to_vec()),
        (
            "wrong-attr-type",
            b"{\"id\": {\"nested\": [1, 2]}}".to_vec(),
        ),
        ("deep", "[".repeat(100_000).into_bytes()),
        ("invalid-utf8", b"{\"id\": \"\xff\xfe\"}".to_vec()),
        ("nul-and-bom", b"\xef\xbb\xbf{\"id\": \"\x00\"".to_vec()),
    ]
}

/// Asserts a response's diagnostics hold at least one error with a summary, and no panic text.
fn assert_refused(what: &str, diags: &[pb::Diagnostic]) {
    let errs = errors(diags);
    assert!(!errs.is_empty(), "{what}: accepted without an error");
    assert!(
        diags.iter().all(|d| !d.summary.is_empty()),
        "{what}: empty summary"
    );
    assert!(
        errs.iter().all(|e| !e.contains("panicked")),
        "{what}: {errs:?}"
    );
}

fn msgpack_value(bytes: Vec<u8>) -> Option<pb::DynamicValue> {
    dv(bytes)
}

fn json_value(bytes: Vec<u8>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: Vec::new(),
        json: bytes,
    })
}

/// A provider configuration for the emulator, encoded by our own codec.
fn provider_config(emu: &Emulator) -> Vec<u8> {
    let schema = provider::schema();
    let ty = schema.value_type();
    let mut config = Value::null_object(&ty);
    config.set("region", Value::string("cn-hangzhou"));
    config.set("access_key", Value::string(emu.access_key()));
    config.set("secret_key", Value::string(emu.secret()));
    config.set(
        "endpoints",
        Value::object([
            ("polardb", Value::string(emu.url())),
            ("polardbx", Value::string(emu.polardbx_endpoint())),
            ("sts", Value::Null),
        ]),
    );
    to_msgpack(&config, &ty).expect("encode provider config")
}

/// Every RPC that takes a value gets every malformed payload in every value slot over the real
/// mTLS connection: each answers with an error diagnostic (never a gRPC failure, which is what a
/// panicking handler would give), the provider never calls the API, the process stays up and
/// then serves good calls, and its stderr holds no panic.
#[tokio::test]
async fn malformed_values_are_refused_and_the_process_lives() {
    let emu = Emulator::start_default();
    let dir = TempDir::new("grpc-garbage");
    let log_path = dir.path().join("provider.stderr");
    let log = std::fs::File::create(&log_path).expect("stderr file");
    let mut plugin = start_with_stderr(Stdio::from(log));
    let mut client = plugin.provider().await;

    let configured = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: msgpack_value(provider_config(&emu)),
            client_capabilities: None,
        })
        .await
        .expect("ConfigureProvider")
        .into_inner();
    assert!(
        errors(&configured.diagnostics).is_empty(),
        "{:?}",
        configured.diagnostics
    );

    let resources: Vec<(&str, Type, &str)> = provider::resources()
        .iter()
        .map(|r| {
            let attr = if r.type_name().contains("polardbx") {
                "db_instance_name"
            } else {
                "db_cluster_id"
            };
            (r.type_name(), r.schema().value_type(), attr)
        })
        .collect();
    let data_sources: Vec<(&str, Type)> = provider::data_sources()
        .iter()
        .map(|d| (d.type_name(), d.schema().value_type()))
        .collect();
    assert_eq!((resources.len(), data_sources.len()), (2, 4));

    let mut tried = 0usize;
    for (type_name, ty, attr) in &resources {
        let good = msgpack_value(to_msgpack(&Value::null_object(ty), ty).expect("encode"));
        let mut payloads: Vec<(&str, Option<pb::DynamicValue>)> = broken_msgpack()
            .into_iter()
            .map(|(n, b)| (n, msgpack_value(b)))
            .collect();
        payloads.extend(
            wrong_typed_objects(ty, attr)
                .into_iter()
                .map(|(n, b)| (n, msgpack_value(b))),
        );
        payloads.extend(broken_json().into_iter().map(|(n, b)| (n, json_value(b))));
        for (name, bad) in &payloads {
            let what = |rpc: &str| format!("{rpc} {type_name} {name}");
            let r = client
                .validate_resource_config(pb::validate_resource_config::Request {
                    type_name: type_name.to_string(),
                    config: bad.clone(),
                })
                .await
                .unwrap_or_else(|s| panic!("{}: gRPC error {s}", what("Validate")));
            assert_refused(&what("ValidateResourceConfig"), &r.into_inner().diagnostics);

            let r = client
                .read_resource(pb::read_resource::Request {
                    type_name: type_name.to_string(),
                    current_state: bad.clone(),
                    ..Default::default()
                })
                .await
                .unwrap_or_else(|s| panic!("{}: gRPC error {s}", what("Read")));
            assert_refused(&what("ReadResource"), &r.into_inner().diagnostics);
            tried += 2;

            // Each of the three value slots of Plan and Apply in turn.
            for slot in 0..3 {
                let pick = |i: usize| if i == slot { bad.clone() } else { good.clone() };
                let r = client
                    .plan_resource_change(pb::plan_resource_change::Request {
                        type_name: type_name.to_string(),
                        prior_state: pick(0),
                        proposed_new_state: pick(1),
                        config: pick(2),
                        ..Default::default()
                    })
                    .await
                    .unwrap_or_else(|s| panic!("{}: gRPC error {s}", what("Plan")));
                assert_refused(
                    &format!("{} slot {slot}", what("PlanResourceChange")),
                    &r.into_inner().diagnostics,
                );
                let r = client
                    .apply_resource_change(pb::apply_resource_change::Request {
                        type_name: type_name.to_string(),
                        prior_state: pick(0),
                        planned_state: pick(1),
                        config: pick(2),
                        ..Default::default()
                    })
                    .await
                    .unwrap_or_else(|s| panic!("{}: gRPC error {s}", what("Apply")));
                assert_refused(
                    &format!("{} slot {slot}", what("ApplyResourceChange")),
                    &r.into_inner().diagnostics,
                );
                tried += 2;
            }
        }

        for (name, raw) in broken_raw_states() {
            let r = client
                .upgrade_resource_state(pb::upgrade_resource_state::Request {
                    type_name: type_name.to_string(),
                    version: 0,
                    raw_state: Some(pb::RawState {
                        json: raw,
                        flatmap: Default::default(),
                    }),
                })
                .await
                .unwrap_or_else(|s| panic!("Upgrade {name}: gRPC error {s}"));
            let r = r.into_inner();
            assert_refused(
                &format!("UpgradeResourceState {type_name} {name}"),
                &r.diagnostics,
            );
            assert!(r.upgraded_state.is_none(), "{name}: a state came back");
            tried += 1;
        }

        for id in [
            "",
            ":",
            "::::",
            "pc-a:",
            ":123",
            "cn-hangzhou:pxc-a:",
            "pc-a:1:2:3:4",
            "\u{0}\u{7f}\u{202e}",
            &"x".repeat(1 << 20),
        ] {
            let r = client
                .import_resource_state(pb::import_resource_state::Request {
                    type_name: type_name.to_string(),
                    id: id.to_string(),
                    client_capabilities: None,
                })
                .await
                .unwrap_or_else(|s| panic!("Import: gRPC error {s}"))
                .into_inner();
            assert_refused(&format!("ImportResourceState {type_name}"), &r.diagnostics);
            assert!(r.imported_resources.is_empty());
            tried += 1;
        }
    }

    for (type_name, _) in &data_sources {
        for (name, bad) in broken_msgpack() {
            let r = client
                .read_data_source(pb::read_data_source::Request {
                    type_name: type_name.to_string(),
                    config: msgpack_value(bad.clone()),
                    ..Default::default()
                })
                .await
                .unwrap_or_else(|s| panic!("ReadDataSource {name}: gRPC error {s}"));
            assert_refused(
                &format!("ReadDataSource {type_name} {name}"),
                &r.into_inner().diagnostics,
            );
            let r = client
                .validate_data_resource_config(pb::validate_data_resource_config::Request {
                    type_name: type_name.to_string(),
                    config: msgpack_value(bad),
                })
                .await
                .unwrap_or_else(|s| panic!("ValidateData {name}: gRPC error {s}"));
            assert_refused(
                &format!("ValidateDataResourceConfig {name}"),
                &r.into_inner().diagnostics,
            );
            tried += 2;
        }
    }

    for (name, bad) in broken_msgpack() {
        let r = client
            .validate_provider_config(pb::validate_provider_config::Request {
                config: msgpack_value(bad.clone()),
            })
            .await
            .unwrap_or_else(|s| panic!("ValidateProvider {name}: gRPC error {s}"));
        assert_refused(
            &format!("ValidateProviderConfig {name}"),
            &r.into_inner().diagnostics,
        );
        let r = client
            .configure_provider(pb::configure_provider::Request {
                terraform_version: "1.11.4".into(),
                config: msgpack_value(bad),
                client_capabilities: None,
            })
            .await
            .unwrap_or_else(|s| panic!("Configure {name}: gRPC error {s}"));
        assert_refused(
            &format!("ConfigureProvider {name}"),
            &r.into_inner().diagnostics,
        );
        tried += 2;
    }

    // A 16 MiB string where an ID belongs: refused naming the attribute.
    let (type_name, ty, attr) = &resources[0];
    let mut huge = Value::null_object(ty);
    huge.set(attr, Value::string(format!("pc-{}", "a".repeat(16 << 20))));
    let r = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: type_name.to_string(),
            config: msgpack_value(to_msgpack(&huge, ty).expect("encode")),
        })
        .await
        .expect("a 16 MiB value is within the 256 MiB message limit")
        .into_inner();
    assert_refused("16 MiB ID", &r.diagnostics);
    let detail_bytes: usize = r.diagnostics.iter().map(|d| d.detail.len()).sum();
    eprintln!("16 MiB ID: diagnostic detail of {detail_bytes} bytes");
    tried += 1;

    // Still alive, still serving, and never called the API.
    assert!(
        plugin.child.try_wait().expect("try_wait").is_none(),
        "the provider exited"
    );
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema after the garbage")
        .into_inner();
    assert_eq!(schema.resource_schemas.len(), 2);
    let (type_name, ty, attr) = &resources[0];
    let mut ok = Value::null_object(ty);
    ok.set(attr, Value::string(CLUSTER));
    let r = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: type_name.to_string(),
            config: msgpack_value(to_msgpack(&ok, ty).expect("encode")),
        })
        .await
        .expect("a good call after the garbage")
        .into_inner();
    assert!(errors(&r.diagnostics).is_empty(), "{:?}", r.diagnostics);
    assert_eq!(
        emu.requests().as_array().map(Vec::len),
        Some(0),
        "malformed input reached the API"
    );
    drop(client);
    drop(plugin);
    let stderr = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(!stderr.contains("panicked"), "provider stderr:\n{stderr}");
    eprintln!("malformed gRPC requests refused: {tried}");
}
