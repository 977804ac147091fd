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
use crate::resource::{
    stop_channel, Ctx, DataSource, PlanRequest, Resource, StopHandle, StopSignal,
};
use crate::schema::Schema;
use crate::tfvalue::{Type, Value};

use super::convert::{decode, diagnostics_to_proto, encode_into, path_to_proto, schema_to_proto};
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
    stop_handle: StopHandle,
    stop_signal: StopSignal,
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
            provider::resources(),
            provider::data_sources(),
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
            ..Default::default()
        };
        let (stop_handle, stop_signal) = stop_channel();
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
            stop_handle,
            stop_signal,
        }
    }

    fn ctx(&self) -> Ctx {
        let provider = self
            .configured
            .lock()
            .map(|g| g.clone())
            .unwrap_or_default();
        Ctx {
            provider,
            stop: self.stop_signal.clone(),
        }
    }

    fn resource(&self, name: &str) -> Result<&Typed<dyn Resource>, Diagnostics> {
        self.resources
            .get(name)
            .ok_or_else(|| vec![unknown_type("resource", name)])
    }

    fn data_source(&self, name: &str) -> Result<&Typed<dyn DataSource>, Diagnostics> {
        self.data_sources
            .get(name)
            .ok_or_else(|| vec![unknown_type("data source", name)])
    }
}

impl Default for ProviderService {
    fn default() -> Self {
        ProviderService::new()
    }
}

/// Runs `f`; a list of diagnostics as the error short-circuits into the response's diagnostics.
macro_rules! try_diags {
    ($e:expr, $diags:ident) => {
        match $e {
            Ok(v) => v,
            Err(d) => {
                $diags.extend(d);
                None
            }
        }
    };
}

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
        let req = req.into_inner();
        let diagnostics = match self.resource(&req.type_name) {
            Err(d) => d,
            Ok(r) => match decode(req.config.as_ref(), &r.ty, "resource config") {
                Ok(config) => r.imp.validate(&config),
                Err(d) => vec![d],
            },
        };
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics_to_proto(&diagnostics),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        let diagnostics = match self.data_source(&req.type_name) {
            Err(d) => d,
            Ok(ds) => match decode(req.config.as_ref(), &ds.ty, "data source config") {
                Ok(config) => ds.imp.validate(&config),
                Err(d) => vec![d],
            },
        };
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics_to_proto(&diagnostics),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Vec::new();
        let upgraded_state = try_diags!(
            self.resource(&req.type_name).map(|r| {
                let raw = req.raw_state.unwrap_or_default();
                if raw.json.is_empty() {
                    diags.push(flatmap_unsupported(!raw.flatmap.is_empty()));
                    return None;
                }
                match r.imp.upgrade_state(req.version, &raw.json) {
                    Ok(v) => encode_into(&v, &r.ty, "upgraded state", &mut diags),
                    Err(d) => {
                        diags.extend(d);
                        None
                    }
                }
            }),
            diags
        );
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diagnostics_to_proto(&diags),
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Vec::new();
        match decode(req.config.as_ref(), &self.provider_ty, "provider config") {
            Err(d) => diags.push(d),
            Ok(config) if !config.is_wholly_known() => {
                tracing::debug!("provider configuration has unknown values; deferring");
            }
            Ok(config) => match provider::configure(&config).await {
                Ok((data, warnings)) => {
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
        let req = req.into_inner();
        let mut diags = Vec::new();
        let mut resp = pb::read_resource::Response::default();
        if let Some(r) = try_diags!(self.resource(&req.type_name).map(Some), diags) {
            match decode(req.current_state.as_ref(), &r.ty, "current state") {
                Err(d) => diags.push(d),
                Ok(current) => {
                    let out = r.imp.read(&self.ctx(), current, req.private).await;
                    diags.extend(out.diagnostics);
                    resp.new_state = encode_into(&out.new_state, &r.ty, "new state", &mut diags);
                    resp.private = out.private;
                }
            }
        }
        resp.diagnostics = diagnostics_to_proto(&diags);
        Ok(Response::new(resp))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Vec::new();
        let mut resp = pb::plan_resource_change::Response::default();
        if let Some(r) = try_diags!(self.resource(&req.type_name).map(Some), diags) {
            let decoded = decode(req.prior_state.as_ref(), &r.ty, "prior state").and_then(|p| {
                let n = decode(req.proposed_new_state.as_ref(), &r.ty, "proposed new state")?;
                let c = decode(req.config.as_ref(), &r.ty, "config")?;
                Ok((p, n, c))
            });
            match decoded {
                Err(d) => diags.push(d),
                Ok((prior_state, proposed_new_state, config)) => {
                    let plan = PlanRequest {
                        prior_state,
                        proposed_new_state,
                        config,
                        prior_private: req.prior_private,
                    };
                    let out = r.imp.plan(&self.ctx(), plan).await;
                    diags.extend(out.diagnostics);
                    resp.planned_state =
                        encode_into(&out.planned_state, &r.ty, "planned state", &mut diags);
                    resp.requires_replace =
                        out.requires_replace.iter().map(path_to_proto).collect();
                    resp.planned_private = out.planned_private;
                }
            }
        }
        resp.diagnostics = diagnostics_to_proto(&diags);
        Ok(Response::new(resp))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Vec::new();
        let mut resp = pb::apply_resource_change::Response::default();
        if let Some(r) = try_diags!(self.resource(&req.type_name).map(Some), diags) {
            let decoded = decode(req.prior_state.as_ref(), &r.ty, "prior state").and_then(|p| {
                let n = decode(req.planned_state.as_ref(), &r.ty, "planned state")?;
                let c = decode(req.config.as_ref(), &r.ty, "config")?;
                Ok((p, n, c))
            });
            match decoded {
                Err(d) => diags.push(d),
                Ok((prior, planned, config)) => {
                    let ctx = self.ctx();
                    let (new_state, private) = if planned.is_null() {
                        let out = r.imp.delete(&ctx, prior.clone()).await;
                        let failed = crate::diagnostics::has_errors(&out);
                        diags.extend(out);
                        // A failed delete keeps the object in state.
                        (
                            if failed { prior } else { Value::Null },
                            req.planned_private,
                        )
                    } else {
                        let out = if prior.is_null() {
                            r.imp.create(&ctx, planned, config).await
                        } else {
                            r.imp.update(&ctx, prior, planned, config).await
                        };
                        diags.extend(out.diagnostics);
                        (out.new_state, out.private)
                    };
                    // Always returned, even with errors: a created object is never forgotten.
                    resp.new_state = encode_into(&new_state, &r.ty, "new state", &mut diags);
                    resp.private = private;
                }
            }
        }
        resp.diagnostics = diagnostics_to_proto(&diags);
        Ok(Response::new(resp))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Vec::new();
        let mut resp = pb::import_resource_state::Response::default();
        if let Some(r) = try_diags!(self.resource(&req.type_name).map(Some), diags) {
            let out = r.imp.import(&self.ctx(), &req.id).await;
            diags.extend(out.diagnostics);
            if !out.state.is_null() {
                if let Some(state) = encode_into(&out.state, &r.ty, "imported state", &mut diags) {
                    resp.imported_resources
                        .push(pb::import_resource_state::ImportedResource {
                            type_name: req.type_name.clone(),
                            state: Some(state),
                            private: out.private,
                        });
                }
            }
        }
        resp.diagnostics = diagnostics_to_proto(&diags);
        Ok(Response::new(resp))
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
        let req = req.into_inner();
        let mut diags = Vec::new();
        let mut resp = pb::read_data_source::Response::default();
        if let Some(ds) = try_diags!(self.data_source(&req.type_name).map(Some), diags) {
            match decode(req.config.as_ref(), &ds.ty, "data source config") {
                Err(d) => diags.push(d),
                Ok(config) => {
                    let out = ds.imp.read(&self.ctx(), config).await;
                    diags.extend(out.diagnostics);
                    resp.state =
                        encode_into(&out.new_state, &ds.ty, "data source state", &mut diags);
                }
            }
        }
        resp.diagnostics = diagnostics_to_proto(&diags);
        Ok(Response::new(resp))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
    }

    async fn open_ephemeral_resource(
        &self,
        _req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
    }

    async fn renew_ephemeral_resource(
        &self,
        _req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
    }

    async fn close_ephemeral_resource(
        &self,
        _req: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        Err(Status::unimplemented(
            "this provider has no ephemeral resources",
        ))
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
        self.stop_handle.stop();
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
