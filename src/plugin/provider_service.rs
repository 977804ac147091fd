//! The tfplugin6 `Provider` service: decodes requests with the right schema, calls the provider
//! and resource code, and encodes the answers. Holds no business logic.
//!
//! ConfigureProvider with unknown values (a provider block that depends on resources not yet
//! created) is deferred: nothing is configured and no error is raised, so `plan` can proceed with
//! the generic planner; a resource call that needs the API then reports "Provider not
//! configured", and at apply time Terraform configures again with known values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tonic::{Request, Response, Status};

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::provider::{self, ProviderData};
use crate::resource::{Ctx, DataSource, PlanRequest, Resource};
use crate::schema::Schema;
use crate::tfvalue::{Type, Value};

use super::convert::{decode, diagnostics_to_proto, encode_into, path_to_proto, schema_to_proto};
use super::operations::Operations;
use super::proto::tfplugin6 as pb;
use super::proto::tfplugin6::provider_server::Provider;

/// A resource or data source with its schema's value type computed once.
struct Typed<T: ?Sized> {
    imp: Arc<T>,
    ty: Type,
}

/// The provider service. One per process.
pub struct ProviderService {
    provider_ty: Type,
    resources: HashMap<&'static str, Typed<dyn Resource>>,
    data_sources: HashMap<&'static str, Typed<dyn DataSource>>,
    /// GetProviderSchema's answer, built once: Terraform asks in every process.
    schema_response: pb::get_provider_schema::Response,
    configured: Mutex<Option<Arc<ProviderData>>>,
    /// Stop signals per Terraform operation and the RPCs in flight (shared with `run`).
    operations: Operations,
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
    }
}

fn unknown_type(kind: &str, name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Unknown {kind} type"),
        format!(
            "The alicloud provider has no {kind} type \"{name}\". Check the spelling, or \
             upgrade the provider if the type is newer."
        ),
    )
}

impl ProviderService {
    /// The service for the provider's own resources and data sources.
    pub fn new() -> ProviderService {
        ProviderService::with(
            provider::schema(),
            crate::resources::resources(),
            crate::data_sources::data_sources(),
        )
    }

    /// A service over the given parts (tests use fake resources).
    pub fn with(
        provider_schema: Schema,
        resources: Vec<Arc<dyn Resource>>,
        data_sources: Vec<Arc<dyn DataSource>>,
    ) -> ProviderService {
        let schema_response = pb::get_provider_schema::Response {
            provider: Some(schema_to_proto(&provider_schema)),
            resource_schemas: resources
                .iter()
                .map(|r| (r.type_name().to_string(), schema_to_proto(r.schema())))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|d| (d.type_name().to_string(), schema_to_proto(d.schema())))
                .collect(),
            server_capabilities: Some(capabilities()),
            ephemeral_resource_schemas: super::ephemeral::schemas(),
            ..Default::default()
        };
        ProviderService {
            provider_ty: provider_schema.value_type(),
            resources: resources
                .into_iter()
                .map(|r| {
                    let ty = r.schema().value_type();
                    (r.type_name(), Typed { imp: r, ty })
                })
                .collect(),
            data_sources: data_sources
                .into_iter()
                .map(|d| {
                    let ty = d.schema().value_type();
                    (d.type_name(), Typed { imp: d, ty })
                })
                .collect(),
            schema_response,
            configured: Mutex::new(None),
            operations: Operations::new(),
        }
    }

    /// The handle SIGTERM uses to stop every operation and wait for their answers.
    pub fn operations(&self) -> Operations {
        self.operations.clone()
    }

    fn ctx(&self) -> Ctx {
        let provider = self
            .configured
            .lock()
            .map(|g| g.clone())
            .unwrap_or_default();
        Ctx {
            provider,
            stop: self.operations.signal(),
        }
    }

    /// The resource type an RPC names; logs the request.
    fn resource(&self, rpc: &str, name: &str) -> Result<&Typed<dyn Resource>, Diagnostic> {
        tracing::debug!(rpc, type_name = %name, "request");
        self.resources
            .get(name)
            .ok_or_else(|| unknown_type("resource", name))
    }

    /// The data source type an RPC names; logs the request.
    fn data_source(&self, rpc: &str, name: &str) -> Result<&Typed<dyn DataSource>, Diagnostic> {
        tracing::debug!(rpc, type_name = %name, "request");
        self.data_sources
            .get(name)
            .ok_or_else(|| unknown_type("data source", name))
    }
}

impl Default for ProviderService {
    fn default() -> Self {
        ProviderService::new()
    }
}

/// An RPC answer that carries diagnostics.
trait Answer: Default {
    fn set_diagnostics(&mut self, diagnostics: Vec<pb::Diagnostic>);
}

macro_rules! answers {
    ($($rpc:ident),*) => {
        $(impl Answer for pb::$rpc::Response {
            fn set_diagnostics(&mut self, diagnostics: Vec<pb::Diagnostic>) {
                self.diagnostics = diagnostics;
            }
        })*
    };
}

answers!(
    validate_resource_config,
    validate_data_resource_config,
    upgrade_resource_state,
    read_resource,
    plan_resource_change,
    apply_resource_change,
    import_resource_state,
    read_data_source
);

/// The RPC's response: `answer` (or, if it failed, an empty answer) with every diagnostic
/// gathered on the way, the failure's last.
fn reply<A: Answer>(
    answer: Result<A, Diagnostic>,
    mut diags: Diagnostics,
) -> Result<Response<A>, Status> {
    let mut answer = answer.unwrap_or_else(|d| {
        diags.push(d);
        A::default()
    });
    answer.set_diagnostics(diagnostics_to_proto(&diags));
    Ok(Response::new(answer))
}

/// The RPCs on one resource or data source type, without the wire's envelope: each adds the
/// diagnostics that come with its answer to `diags`, and fails with the one that ends it (an
/// unknown type, a value that does not decode).
impl ProviderService {
    fn validate_resource(
        &self,
        req: pb::validate_resource_config::Request,
        diags: &mut Diagnostics,
    ) -> Result<pb::validate_resource_config::Response, Diagnostic> {
        let r = self.resource("ValidateResourceConfig", &req.type_name)?;
        let config = decode(req.config.as_ref(), &r.ty, "resource config")?;
        diags.extend(r.imp.validate(&config));
        Ok(Default::default())
    }

    fn validate_data_source(
        &self,
        req: pb::validate_data_resource_config::Request,
        diags: &mut Diagnostics,
    ) -> Result<pb::validate_data_resource_config::Response, Diagnostic> {
        let ds = self.data_source("ValidateDataResourceConfig", &req.type_name)?;
        let config = decode(req.config.as_ref(), &ds.ty, "data source config")?;
        diags.extend(ds.imp.validate(&config));
        Ok(Default::default())
    }

    fn upgrade(
        &self,
        req: pb::upgrade_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Result<pb::upgrade_resource_state::Response, Diagnostic> {
        let r = self.resource("UpgradeResourceState", &req.type_name)?;
        let raw = req.raw_state.unwrap_or_default();
        if raw.json.is_empty() {
            return Err(flatmap_unsupported(!raw.flatmap.is_empty()));
        }
        let upgraded_state = match r.imp.upgrade_state(req.version, &raw.json) {
            Ok(v) => encode_into(&v, &r.ty, "upgraded state", diags),
            Err(d) => {
                diags.extend(d);
                None
            }
        };
        Ok(pb::upgrade_resource_state::Response {
            upgraded_state,
            ..Default::default()
        })
    }

    async fn read(
        &self,
        req: pb::read_resource::Request,
        diags: &mut Diagnostics,
    ) -> Result<pb::read_resource::Response, Diagnostic> {
        let r = self.resource("ReadResource", &req.type_name)?;
        let current = decode(req.current_state.as_ref(), &r.ty, "current state")?;
        let out = r.imp.read(&self.ctx(), current, req.private).await;
        diags.extend(out.diagnostics);
        Ok(pb::read_resource::Response {
            new_state: encode_into(&out.new_state, &r.ty, "new state", diags),
            private: out.private,
            ..Default::default()
        })
    }

    async fn plan(
        &self,
        req: pb::plan_resource_change::Request,
        diags: &mut Diagnostics,
    ) -> Result<pb::plan_resource_change::Response, Diagnostic> {
        let r = self.resource("PlanResourceChange", &req.type_name)?;
        let plan = PlanRequest {
            prior_state: decode(req.prior_state.as_ref(), &r.ty, "prior state")?,
            proposed_new_state: decode(
                req.proposed_new_state.as_ref(),
                &r.ty,
                "proposed new state",
            )?,
            config: decode(req.config.as_ref(), &r.ty, "config")?,
            prior_private: req.prior_private,
        };
        let out = r.imp.plan(&self.ctx(), plan).await;
        diags.extend(out.diagnostics);
        Ok(pb::plan_resource_change::Response {
            planned_state: encode_into(&out.planned_state, &r.ty, "planned state", diags),
            requires_replace: out.requires_replace.iter().map(path_to_proto).collect(),
            planned_private: out.planned_private,
            ..Default::default()
        })
    }

    async fn apply(
        &self,
        req: pb::apply_resource_change::Request,
        diags: &mut Diagnostics,
    ) -> Result<pb::apply_resource_change::Response, Diagnostic> {
        let r = self.resource("ApplyResourceChange", &req.type_name)?;
        let prior = decode(req.prior_state.as_ref(), &r.ty, "prior state")?;
        let planned = decode(req.planned_state.as_ref(), &r.ty, "planned state")?;
        let config = decode(req.config.as_ref(), &r.ty, "config")?;
        let ctx = self.ctx();
        let (new_state, private) = if planned.is_null() {
            let out = r
                .imp
                .delete_planned(&ctx, prior.clone(), &req.planned_private)
                .await;
            let failed = crate::diagnostics::has_errors(&out);
            diags.extend(out);
            // A failed delete keeps the object in state.
            let kept = if failed { prior } else { Value::Null };
            (kept, req.planned_private)
        } else {
            let out = if prior.is_null() {
                r.imp.create(&ctx, planned, config).await
            } else {
                r.imp.update(&ctx, prior, planned).await
            };
            diags.extend(out.diagnostics);
            (out.new_state, out.private)
        };
        // Always returned, even with errors: a created object is never forgotten.
        Ok(pb::apply_resource_change::Response {
            new_state: encode_into(&new_state, &r.ty, "new state", diags),
            private,
            ..Default::default()
        })
    }

    async fn import(
        &self,
        req: pb::import_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Result<pb::import_resource_state::Response, Diagnostic> {
        let r = self.resource("ImportResourceState", &req.type_name)?;
        let out = r.imp.import(&self.ctx(), &req.id).await;
        diags.extend(out.diagnostics);
        let mut resp = pb::import_resource_state::Response::default();
        if !out.state.is_null() {
            if let Some(state) = encode_into(&out.state, &r.ty, "imported state", diags) {
                resp.imported_resources
                    .push(pb::import_resource_state::ImportedResource {
                        type_name: req.type_name,
                        state: Some(state),
                        private: out.private,
                    });
            }
        }
        Ok(resp)
    }

    async fn read_data(
        &self,
        req: pb::read_data_source::Request,
        diags: &mut Diagnostics,
    ) -> Result<pb::read_data_source::Response, Diagnostic> {
        let ds = self.data_source("ReadDataSource", &req.type_name)?;
        let config = decode(req.config.as_ref(), &ds.ty, "data source config")?;
        let out = ds.imp.read(&self.ctx(), config).await;
        diags.extend(out.diagnostics);
        Ok(pb::read_data_source::Response {
            state: encode_into(&out.new_state, &ds.ty, "data source state", diags),
            ..Default::default()
        })
    }
}

/// The wire's envelope: each RPC that can reach the API counts as in flight (SIGTERM waits for
/// it), and every answer carries its diagnostics.
#[tonic::async_trait]
impl Provider for ProviderService {
    async fn get_metadata(
        &self,
        _req: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .resources
                .keys()
                .map(|n| pb::get_metadata::ResourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|n| pb::get_metadata::DataSourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
            ephemeral_resources: super::ephemeral::metadata(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _req: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(self.schema_response.clone()))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let req = req.into_inner();
        let diagnostics = match decode(req.config.as_ref(), &self.provider_ty, "provider config") {
            Ok(config) => provider::validate(&config),
            Err(d) => vec![d],
        };
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diagnostics_to_proto(&diagnostics),
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let mut diags = Vec::new();
        reply(self.validate_resource(req.into_inner(), &mut diags), diags)
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let mut diags = Vec::new();
        reply(
            self.validate_data_source(req.into_inner(), &mut diags),
            diags,
        )
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let mut diags = Vec::new();
        reply(self.upgrade(req.into_inner(), &mut diags), diags)
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let _in_flight = self.operations.enter();
        // Every Terraform command that can reach the API configures the provider first.
        self.operations.renew();
        let req = req.into_inner();
        let mut diags = Vec::new();
        match decode(req.config.as_ref(), &self.provider_ty, "provider config") {
            Err(d) => diags.push(d),
            Ok(config) if !config.is_wholly_known() => {
                tracing::debug!("provider configuration has unknown values; deferring");
            }
            Ok(config) => match provider::configure(&config).await {
                Ok((mut data, warnings)) => {
                    // The operation's stop signal ends the clients' sleeps and calls too.
                    let stop = self.operations.signal();
                    data.polardb = data.polardb.with_stop(&stop);
                    data.polardbx = data.polardbx.with_stop(&stop);
                    diags.extend(warnings);
                    if let Ok(mut slot) = self.configured.lock() {
                        *slot = Some(Arc::new(data));
                    }
                }
                Err(errors) => diags.extend(errors),
            },
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diagnostics_to_proto(&diags),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let _in_flight = self.operations.enter();
        let mut diags = Vec::new();
        reply(self.read(req.into_inner(), &mut diags).await, diags)
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let _in_flight = self.operations.enter();
        let mut diags = Vec::new();
        reply(self.plan(req.into_inner(), &mut diags).await, diags)
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let _in_flight = self.operations.enter();
        let mut diags = Vec::new();
        reply(self.apply(req.into_inner(), &mut diags).await, diags)
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let _in_flight = self.operations.enter();
        let mut diags = Vec::new();
        reply(self.import(req.into_inner(), &mut diags).await, diags)
    }

    async fn move_resource_state(
        &self,
        _req: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        Err(Status::unimplemented(
            "moving state between resource types is not supported",
        ))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let _in_flight = self.operations.enter();
        let mut diags = Vec::new();
        reply(self.read_data(req.into_inner(), &mut diags).await, diags)
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        Ok(Response::new(super::ephemeral::validate(req.into_inner())))
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        let resp = super::ephemeral::open(&self.ctx(), req.into_inner()).await;
        Ok(Response::new(resp))
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        Ok(Response::new(super::ephemeral::renew(req.into_inner())))
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        Ok(Response::new(super::ephemeral::close(req.into_inner())))
    }

    async fn get_functions(
        &self,
        _req: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn call_function(
        &self,
        _req: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        Err(Status::unimplemented("this provider has no functions"))
    }

    async fn stop_provider(
        &self,
        _req: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!("StopProvider: cancelling operations in flight");
        self.operations.stop();
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}

fn flatmap_unsupported(had_flatmap: bool) -> Diagnostic {
    let detail = if had_flatmap {
        "The state of this resource is in the legacy \"flatmap\" format of Terraform 0.11 and \
         older, which this provider cannot read. Remove it from state (`terraform state rm`) and \
         import it again."
    } else {
        "Terraform sent no prior state to upgrade. This is a bug in Terraform or in the \
         provider; please report it."
    };
    Diagnostic::error("Unsupported resource state format", detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::AttributePath;
    use crate::resource::{ApplyResponse, ImportResponse, ObjectType, ReadResponse};
    use crate::schema::{Attribute, Block};
    use crate::tfvalue::{from_msgpack, to_msgpack};
    use async_trait::async_trait;

    /// A resource whose behaviour is steered by its `name` argument.
    struct Fake {
        schema: Schema,
    }

    fn fake() -> Arc<dyn Resource> {
        Arc::new(Fake {
            schema: Schema::new(
                1,
                Block::new("fake")
                    .attribute(Attribute::computed("id", Type::String, ""))
                    .attribute(Attribute::required("name", Type::String, "").force_new()),
            ),
        })
    }

    impl ObjectType for Fake {
        fn type_name(&self) -> &'static str {
            "fake_thing"
        }
        fn schema(&self) -> &Schema {
            &self.schema
        }
    }

    #[async_trait]
    impl Resource for Fake {
        fn validate(&self, config: &Value) -> Diagnostics {
            match config.str_attr("name") {
                Some("bad") => vec![crate::diagnostics::invalid_attribute("name", "bad", "fix")],
                _ => Vec::new(),
            }
        }
        async fn create(&self, _ctx: &Ctx, mut planned: Value, _config: Value) -> ApplyResponse {
            planned.set("id", Value::string("id-1"));
            let failing = planned.str_attr("name") == Some("half");
            ApplyResponse {
                new_state: planned,
                private: Vec::new(),
                diagnostics: if failing {
                    vec![Diagnostic::error("wait failed", "created but not ready")]
                } else {
                    Vec::new()
                },
            }
        }
        async fn read(&self, _ctx: &Ctx, current: Value, private: Vec<u8>) -> ReadResponse {
            ReadResponse {
                new_state: current,
                private,
                diagnostics: Vec::new(),
            }
        }
        async fn delete(&self, _ctx: &Ctx, prior: Value) -> Diagnostics {
            if prior.str_attr("name") == Some("sticky") {
                vec![Diagnostic::error("cannot delete", "")]
            } else {
                Vec::new()
            }
        }
        async fn import(&self, _ctx: &Ctx, id: &str) -> ImportResponse {
            if id.starts_with("id-") {
                ImportResponse {
                    state: Value::object([
                        ("id", Value::string(id)),
                        ("name", Value::string("imported")),
                    ]),
                    ..ImportResponse::default()
                }
            } else {
                ImportResponse {
                    diagnostics: vec![Diagnostic::error("bad id", "")],
                    ..ImportResponse::default()
                }
            }
        }
    }

    fn service() -> ProviderService {
        ProviderService::with(Schema::new(0, Block::new("")), vec![fake()], Vec::new())
    }

    fn ty() -> Type {
        Type::object([("id", Type::String), ("name", Type::String)])
    }

    fn obj(id: Value, name: Value) -> Option<pb::DynamicValue> {
        let v = Value::object([("id", id), ("name", name)]);
        Some(pb::DynamicValue {
            msgpack: to_msgpack(&v, &ty()).unwrap(),
            json: Vec::new(),
        })
    }

    fn null() -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: vec![0xc0],
            json: Vec::new(),
        })
    }

    fn state(dv: &Option<pb::DynamicValue>) -> Value {
        from_msgpack(&dv.as_ref().unwrap().msgpack, &ty()).unwrap()
    }

    async fn apply(
        s: &ProviderService,
        prior: Option<pb::DynamicValue>,
        planned: Option<pb::DynamicValue>,
    ) -> pb::apply_resource_change::Response {
        s.apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "fake_thing".into(),
            prior_state: prior,
            planned_state: planned.clone(),
            config: planned,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
    }

    /// The schema is cached with both capabilities and the resource's version.
    #[tokio::test]
    async fn schema_and_capabilities() {
        let s = service();
        let started = std::time::Instant::now();
        let r = s
            .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert!(started.elapsed() < std::time::Duration::from_millis(5));
        let caps = r.server_capabilities.unwrap();
        assert!(caps.get_provider_schema_optional && caps.plan_destroy);
        assert_eq!(r.resource_schemas["fake_thing"].version, 1);
    }

    /// Validation passes unknowns, reports attribute paths, and flags unknown type names.
    #[tokio::test]
    async fn validation() {
        let s = service();
        let validate = |cfg, name: &str| {
            s.validate_resource_config(Request::new(pb::validate_resource_config::Request {
                type_name: name.into(),
                config: cfg,
            }))
        };
        let ok = validate(obj(Value::Null, Value::Unknown), "fake_thing")
            .await
            .unwrap()
            .into_inner();
        assert!(ok.diagnostics.is_empty());
        let bad = validate(obj(Value::Null, Value::string("bad")), "fake_thing")
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            bad.diagnostics[0].attribute,
            Some(path_to_proto(&AttributePath::attr("name")))
        );
        let unknown = validate(null(), "nope").await.unwrap().into_inner();
        assert!(unknown.diagnostics[0]
            .summary
            .contains("Unknown resource type"));
    }

    /// Planning a create marks the computed id unknown; a name change requires replacement.
    #[tokio::test]
    async fn planning() {
        let s = service();
        let plan = |prior, proposed| {
            s.plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "fake_thing".into(),
                prior_state: prior,
                proposed_new_state: proposed,
                config: obj(Value::Null, Value::string("b")),
                ..Default::default()
            }))
        };
        let create = plan(null(), obj(Value::Null, Value::string("b")))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            state(&create.planned_state).get("id"),
            Some(&Value::Unknown)
        );
        let replace = plan(
            obj(Value::string("id-1"), Value::string("a")),
            obj(Value::string("id-1"), Value::string("b")),
        )
        .await
        .unwrap()
        .into_inner();
        assert_eq!(
            replace.requires_replace,
            vec![path_to_proto(&AttributePath::attr("name"))]
        );
    }

    /// Apply dispatches create, update and delete; state survives errors on create and delete.
    #[tokio::test]
    async fn apply_dispatch_keeps_state_on_errors() {
        let s = service();
        let created = apply(&s, null(), obj(Value::Unknown, Value::string("a"))).await;
        assert_eq!(state(&created.new_state).str_attr("id"), Some("id-1"));

        let half = apply(&s, null(), obj(Value::Unknown, Value::string("half"))).await;
        assert_eq!(half.diagnostics.len(), 1);
        assert_eq!(state(&half.new_state).str_attr("id"), Some("id-1"));

        let prior = obj(Value::string("id-1"), Value::string("a"));
        let updated = apply(
            &s,
            prior.clone(),
            obj(Value::string("id-1"), Value::string("a2")),
        )
        .await;
        assert_eq!(state(&updated.new_state).str_attr("name"), Some("a2"));

        let deleted = apply(&s, prior, null()).await;
        assert!(deleted.diagnostics.is_empty());
        assert!(state(&deleted.new_state).is_null());

        let sticky = obj(Value::string("id-1"), Value::string("sticky"));
        let failed = apply(&s, sticky, null()).await;
        assert_eq!(failed.diagnostics.len(), 1);
        assert_eq!(state(&failed.new_state).str_attr("name"), Some("sticky"));
    }

    /// Import returns the state for a good id and only an error for a bad one.
    #[tokio::test]
    async fn import() {
        let s = service();
        let imp = |id: &str| {
            s.import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: "fake_thing".into(),
                id: id.into(),
                ..Default::default()
            }))
        };
        let good = imp("id-7").await.unwrap().into_inner();
        assert_eq!(good.imported_resources.len(), 1);
        assert_eq!(
            state(&good.imported_resources[0].state).str_attr("id"),
            Some("id-7")
        );
        let bad = imp("x").await.unwrap().into_inner();
        assert!(bad.imported_resources.is_empty());
        assert_eq!(bad.diagnostics.len(), 1);
    }

    /// Upgrade decodes raw JSON state; flatmap state gets a clear error.
    #[tokio::test]
    async fn upgrade() {
        let s = service();
        let up = |raw: pb::RawState| {
            s.upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: "fake_thing".into(),
                version: 1,
                raw_state: Some(raw),
            }))
        };
        let ok = up(pb::RawState {
            json: br#"{"id":"id-1","name":"a","gone":1}"#.to_vec(),
            flatmap: Default::default(),
        })
        .await
        .unwrap()
        .into_inner();
        assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
        assert_eq!(state(&ok.upgraded_state).str_attr("name"), Some("a"));
        let flat = up(pb::RawState {
            json: Vec::new(),
            flatmap: [("id".to_string(), "x".to_string())].into(),
        })
        .await
        .unwrap()
        .into_inner();
        assert!(flat.diagnostics[0].detail.contains("flatmap"));
    }

    /// StopProvider fires the stop signal resources wait on.
    #[tokio::test]
    async fn stop_fires_signal() {
        let s = service();
        let ctx = s.ctx();
        assert!(!ctx.stop.is_stopped());
        s.stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .unwrap();
        assert!(ctx.stop.is_stopped());
    }

    /// After StopProvider, the next ConfigureProvider (the next Terraform command in a
    /// reattached process) gives new calls an unstopped signal; the stopped call stays stopped.
    #[tokio::test]
    async fn configure_renews_a_fired_signal() {
        let s = service();
        let old = s.ctx();
        s.stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .unwrap();
        assert!(s.ctx().stop.is_stopped());
        s.configure_provider(Request::new(pb::configure_provider::Request::default()))
            .await
            .unwrap();
        assert!(!s.ctx().stop.is_stopped(), "fresh signal after configure");
        assert!(old.stop.is_stopped());
        assert_eq!(s.operations().in_flight(), 0, "guards dropped");
    }

    /// A provider configuration with unknown values is deferred without error.
    #[tokio::test]
    async fn configure_with_unknowns_defers() {
        let s = ProviderService::with(
            Schema::new(
                0,
                Block::new("").attribute(Attribute::optional("region", Type::String, "")),
            ),
            Vec::new(),
            Vec::new(),
        );
        let cfg = to_msgpack(
            &Value::object([("region", Value::Unknown)]),
            &Type::object([("region", Type::String)]),
        )
        .unwrap();
        let r = s
            .configure_provider(Request::new(pb::configure_provider::Request {
                config: Some(pb::DynamicValue {
                    msgpack: cfg,
                    json: Vec::new(),
                }),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(r.diagnostics.is_empty());
        assert!(s.ctx().provider.is_none());
    }
}
