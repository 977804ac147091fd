//! The resource and data-source abstraction the gRPC layer calls, and the generic planner.
//!
//! A resource is one file in [`crate::resources`] implementing [`Resource`]. The plugin layer
//! decodes wire values with the resource's schema, calls these methods, and encodes the answers;
//! everything a resource decides lives in its own file.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use crate::provider::ProviderData;
use crate::schema::Schema;
use crate::tfvalue::Value;

/// Signals `StopProvider` (or SIGTERM): long waits, retry sleeps and calls in flight select on
/// [`StopSignal::stopped`] and return early. One signal belongs to one Terraform operation: the
/// plugin layer hands the next operation a fresh one (see `plugin::operations`), so a stopped
/// signal never becomes unstopped.
#[derive(Clone, Debug)]
pub struct StopSignal(watch::Receiver<bool>);

/// The sending half, owned by the plugin layer.
#[derive(Debug)]
pub struct StopHandle(watch::Sender<bool>);

/// A linked stop handle and signal.
pub fn stop_channel() -> (StopHandle, StopSignal) {
    let (tx, rx) = watch::channel(false);
    (StopHandle(tx), StopSignal(rx))
}

impl StopHandle {
    /// Asks every operation in flight to stop. Sticks even while no signal is held.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl StopSignal {
    /// A signal that never fires (for tests and for calls outside a provider process).
    pub fn never() -> StopSignal {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx);
        StopSignal(rx)
    }

    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once stop was requested.
    pub async fn stopped(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

/// What every resource call gets: the configured provider (absent before `ConfigureProvider`,
/// e.g. during validation) and the stop signal.
#[derive(Clone)]
pub struct Ctx {
    pub provider: Option<Arc<ProviderData>>,
    pub stop: StopSignal,
}

impl Ctx {
    /// The configured provider, or the diagnostic that says it was not configured.
    pub fn provider(&self) -> Result<&Arc<ProviderData>, Diagnostic> {
        self.provider.as_ref().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The alicloud provider was used before it was configured. This is a bug in \
                 Terraform or in the provider; please report it.",
            )
        })
    }

    /// A context with no provider configured and no stop coming, for unit tests of what must
    /// work before ConfigureProvider (validate, import, a forgetting delete).
    #[cfg(test)]
    pub(crate) fn unconfigured() -> Ctx {
        Ctx {
            provider: None,
            stop: StopSignal::never(),
        }
    }
}

pub struct PlanRequest {
    pub prior_state: Value,
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct PlanResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// The outcome of create and update. `new_state` must be set whenever the object exists, even
/// with error diagnostics: a backup that was created is never forgotten.
#[derive(Debug, Default)]
pub struct ApplyResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Default)]
pub struct ReadResponse {
    /// `Value::Null` when the object is gone: Terraform drops it from state.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[derive(Debug, Default)]
pub struct ImportResponse {
    /// The imported state (at least the attributes Read needs); Terraform then calls Read.
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// What every type the provider serves (resource, data source, ephemeral resource) is: a
/// Terraform type name with its schema. Declared with the struct by [`crate::schema::holds_schema!`].
pub trait ObjectType: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> &Schema;
}

/// A managed resource. Section order in every resource file: struct and constructor, schema,
/// validate, plan (if not the default), create, read, update, delete, import, helpers, tests.
#[async_trait]
pub trait Resource: ObjectType {
    /// Checks the configuration without calling any API. Unknown values must pass.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Vec::new()
    }

    async fn plan(&self, _ctx: &Ctx, req: PlanRequest) -> PlanResponse {
        plan_with_schema(self.schema(), req)
    }

    async fn create(&self, ctx: &Ctx, planned: Value, config: Value) -> ApplyResponse;

    /// Reads the current state. `new_state = Value::Null` means the object is gone.
    async fn read(&self, ctx: &Ctx, current: Value, private: Vec<u8>) -> ReadResponse;

    /// In-place update. The default accepts the planned state (for arguments that only change
    /// the provider's behaviour, such as `timeouts`). Every argument that matters to the API
    /// forces a new resource, so the configuration is not passed.
    async fn update(&self, _ctx: &Ctx, _prior: Value, planned: Value) -> ApplyResponse {
        ApplyResponse {
            new_state: planned,
            ..ApplyResponse::default()
        }
    }

    /// Deletes the object. Diagnostics without errors mean it is gone (or deliberately kept).
    async fn delete(&self, ctx: &Ctx, prior: Value) -> Diagnostics;

    /// Deletes the object as planned: `planned_private` is what the plan of this change left
    /// (see [`plan_with_schema`]). [`planned_as_new`] on it means the delete is the first half
    /// of the replacement of a tainted object, whose create follows in this process. The
    /// default deletes as [`Resource::delete`] does.
    async fn delete_planned(
        &self,
        ctx: &Ctx,
        prior: Value,
        _planned_private: &[u8],
    ) -> Diagnostics {
        self.delete(ctx, prior).await
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> ImportResponse;

    /// Upgrades raw JSON state written by schema `version` to the current schema. The default
    /// keeps the attributes the current schema has and fills new ones with null.
    fn upgrade_state(&self, _version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        upgrade_json_with_schema(self.schema(), raw_json)
    }
}

/// A data source: validated like a resource, read with its configuration.
#[async_trait]
pub trait DataSource: ObjectType {
    fn validate(&self, _config: &Value) -> Diagnostics {
        Vec::new()
    }

    async fn read(&self, ctx: &Ctx, config: Value) -> ReadResponse;
}

/// `planned_private` of a change planned from a prior object (an update, a no-op, or either
/// half of a replacement Terraform asked for because arguments changed or of `-replace`).
pub const PLANNED_FROM_PRIOR: &[u8] = b"{\"planned\":\"from-prior\"}";

/// `planned_private` of a change planned from nothing: a new object, or the replacement of a
/// tainted one (Terraform plans those with a null prior state and no private data).
pub const PLANNED_AS_NEW: &[u8] = b"{\"planned\":\"as-new\"}";

/// True when a delete's planned private data says the delete replaces a tainted object: the
/// plan was made from nothing (Terraform sends the create's plan with the delete half).
pub fn planned_as_new(planned_private: &[u8]) -> bool {
    private_note(planned_private, "planned").as_deref() == Some("as-new")
}

/// True when a plan from a null prior state is the second half of a replacement Terraform
/// planned from a prior object (it passes the first plan's private data as the prior's).
pub fn replanned_from_prior(req: &PlanRequest) -> bool {
    req.prior_state.is_null()
        && private_note(&req.prior_private, "planned").as_deref() == Some("from-prior")
}

/// The planner's private data (a JSON object of strings) with `key` set to `value`: how a
/// check adds a note (e.g. the backup a replacement frees) without losing why the plan was
/// made. Private data that is not such an object gets a fresh one.
pub fn with_private_note(private: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut notes = match serde_json::from_slice::<serde_json::Value>(private) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    notes.insert(key.to_string(), serde_json::Value::from(value));
    serde_json::Value::Object(notes).to_string().into_bytes()
}

/// The note `key` of private data written by the planner or [`with_private_note`].
pub fn private_note(private: &[u8], key: &str) -> Option<String> {
    match serde_json::from_slice::<serde_json::Value>(private)
        .ok()?
        .get(key)?
    {
        serde_json::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The generic planner: defaults for null arguments, unknown computed values on create,
/// replacement when a `force_new` attribute changes, and computed values kept from the prior
/// state otherwise (so nothing drifts between plans).
///
/// Its private data tells a later delete why it runs: [`PLANNED_FROM_PRIOR`] for a change
/// planned from a prior object (Terraform passes it on when it plans the replacement again
/// from nothing), [`PLANNED_AS_NEW`] for a create from nothing, which, sent with a delete,
/// means the replacement of a tainted object.
pub fn plan_with_schema(schema: &Schema, req: PlanRequest) -> PlanResponse {
    let replanned = replanned_from_prior(&req);
    let PlanRequest {
        prior_state,
        proposed_new_state,
        config,
        prior_private,
    } = req;
    if proposed_new_state.is_null() {
        return PlanResponse {
            planned_state: Value::Null,
            planned_private: prior_private,
            ..PlanResponse::default()
        };
    }
    let creating = prior_state.is_null();
    let planned_private = if creating && !replanned {
        PLANNED_AS_NEW.to_vec()
    } else {
        PLANNED_FROM_PRIOR.to_vec()
    };
    let mut planned = proposed_new_state;
    let configured = |name: &str| config.get(name).is_some_and(|v| !v.is_null());

    for attr in &schema.block.attributes {
        if configured(&attr.name) {
            continue;
        }
        if let Some(default) = &attr.default {
            planned.set(&attr.name, default.clone());
        } else if attr.computed && creating {
            planned.set(&attr.name, Value::Unknown);
        }
    }

    let mut requires_replace = Vec::new();
    if !creating {
        for attr in schema.block.attributes.iter().filter(|a| a.force_new) {
            let before = prior_state.get(&attr.name).unwrap_or(&Value::Null);
            let after = planned.get(&attr.name).unwrap_or(&Value::Null);
            if before != after {
                requires_replace.push(AttributePath::attr(&attr.name));
            }
        }
        if !requires_replace.is_empty() {
            for attr in &schema.block.attributes {
                if attr.computed && attr.default.is_none() && !configured(&attr.name) {
                    planned.set(&attr.name, Value::Unknown);
                }
            }
        }
    }

    PlanResponse {
        planned_state: planned,
        requires_replace,
        planned_private,
        diagnostics: Vec::new(),
    }
}

/// Decodes raw JSON state for `schema`, dropping attributes the schema no longer has. Decoded
/// straight from the bytes, so numbers keep their full precision.
pub fn upgrade_json_with_schema(schema: &Schema, raw_json: &[u8]) -> Result<Value, Diagnostics> {
    crate::tfvalue::from_json_ignoring_unknown_attributes(raw_json, &schema.value_type())
        .map_err(|e| vec![crate::diagnostics::undecodable("prior state", &e)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, Block};
    use crate::tfvalue::Type;

    fn schema() -> Schema {
        Schema::new(
            0,
            Block::new("")
                .attribute(Attribute::computed("id", Type::String, ""))
                .attribute(Attribute::required("cluster", Type::String, "").force_new())
                .attribute(
                    Attribute::optional("policy", Type::String, "")
                        .default(Value::string("Delete")),
                )
                .attribute(Attribute::computed("status", Type::String, "")),
        )
    }

    fn obj(id: Value, cluster: &str, policy: Value, status: Value) -> Value {
        Value::object([
            ("id", id),
            ("cluster", Value::string(cluster)),
            ("policy", policy),
            ("status", status),
        ])
    }

    /// An object in state: backup `x` of `cluster`, finished.
    fn existing(cluster: &str) -> Value {
        obj(
            Value::string("x"),
            cluster,
            Value::string("Delete"),
            Value::string("Success"),
        )
    }

    /// The configuration of a backup of `cluster` that sets nothing else.
    fn configured(cluster: &str) -> Value {
        obj(Value::Null, cluster, Value::Null, Value::Null)
    }

    /// The generic plan of [`schema`] for this request.
    fn plan(prior: Value, proposed: Value, config: Value, prior_private: &[u8]) -> PlanResponse {
        plan_with_schema(
            &schema(),
            PlanRequest {
                prior_state: prior,
                proposed_new_state: proposed,
                config,
                prior_private: prior_private.to_vec(),
            },
        )
    }

    /// On create, computed attributes become unknown and defaults fill null arguments.
    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let config = configured("pc-1");
        let resp = plan(Value::Null, config.clone(), config, &[]);
        assert!(planned_as_new(&resp.planned_private));
        let p = resp.planned_state;
        assert_eq!(p.get("id"), Some(&Value::Unknown));
        assert_eq!(p.get("status"), Some(&Value::Unknown));
        assert_eq!(p.str_attr("policy"), Some("Delete"));
        assert!(resp.requires_replace.is_empty());
    }

    /// An unchanged configuration plans exactly the prior state: no perpetual diff.
    #[test]
    fn unchanged_plan_equals_prior() {
        let prior = existing("pc-1");
        let resp = plan(prior.clone(), prior.clone(), configured("pc-1"), &[]);
        assert_eq!(resp.planned_state, prior);
        assert!(resp.requires_replace.is_empty());
    }

    /// Changing a force_new attribute requires replacement and unknowns the computed values.
    #[test]
    fn force_new_change_replaces() {
        let resp = plan(existing("pc-1"), existing("pc-2"), configured("pc-2"), &[]);
        assert_eq!(resp.requires_replace, vec![AttributePath::attr("cluster")]);
        assert_eq!(resp.planned_state.get("id"), Some(&Value::Unknown));
        assert_eq!(resp.planned_state.get("status"), Some(&Value::Unknown));
        assert_eq!(resp.planned_private, PLANNED_FROM_PRIOR);
    }

    /// Terraform plans a replacement again from nothing, passing the first plan's private
    /// data: that second plan is not "as new", so its delete really deletes; a tainted
    /// object's replacement (no prior, no private) is.
    #[test]
    fn replacement_replanned_is_not_as_new() {
        let config = configured("pc-2");
        let replan = |prior_private: &[u8]| {
            plan(Value::Null, config.clone(), config.clone(), prior_private).planned_private
        };
        assert!(!planned_as_new(&replan(PLANNED_FROM_PRIOR)));
        assert!(planned_as_new(&replan(&[])));
    }

    /// A note added to the planner's private data keeps what the planner said: a replacement
    /// replanned from nothing with a noted private is still "from prior", never "as new".
    #[test]
    fn private_notes_keep_the_planners_word() {
        let noted = with_private_note(PLANNED_FROM_PRIOR, "replaces", "9");
        assert_eq!(private_note(&noted, "replaces").as_deref(), Some("9"));
        assert_eq!(
            private_note(&noted, "planned").as_deref(),
            Some("from-prior")
        );
        let replanned = PlanRequest {
            prior_state: Value::Null,
            proposed_new_state: Value::Null,
            config: Value::Null,
            prior_private: noted.clone(),
        };
        assert!(replanned_from_prior(&replanned));
        assert!(!planned_as_new(&noted));
        assert!(planned_as_new(PLANNED_AS_NEW));
        assert_eq!(private_note(b"not json", "planned"), None);
        assert_eq!(
            private_note(&with_private_note(b"", "replaces", "1"), "replaces").as_deref(),
            Some("1")
        );
    }

    /// Destroy plans null.
    #[test]
    fn destroy_plans_null() {
        let resp = plan(existing("pc-1"), Value::Null, Value::Null, &[]);
        assert!(resp.planned_state.is_null());
    }

    /// Upgrading state drops attributes the schema no longer has and keeps big numbers exact.
    #[test]
    fn upgrade_drops_removed_attributes_and_keeps_precision() {
        let schema = Schema::new(
            0,
            Block::new("")
                .attribute(Attribute::computed("id", Type::String, ""))
                .attribute(Attribute::computed("size", Type::Number, "")),
        );
        let raw = br#"{"id":"a","size":123456789012345678901234567890,"gone":true}"#;
        let v = upgrade_json_with_schema(&schema, raw).expect("upgrades");
        assert_eq!(v.str_attr("id"), Some("a"));
        assert_eq!(
            v.get("size"),
            Some(&Value::Number(crate::tfvalue::Number::Decimal(
                "123456789012345678901234567890".into()
            )))
        );
        assert!(v.get("gone").is_none());
        assert!(upgrade_json_with_schema(&schema, b"{not json").is_err());
    }
}
