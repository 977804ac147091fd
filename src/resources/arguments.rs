//! The arguments the resources, data sources and the ephemeral resource share, written once:
//! their schema attributes and their checks (which name the attribute and the fix).

use super::ids::{check_cluster_id, check_instance_name, check_region};
use super::{check_attr, one_of};
use crate::alicloud::Client;
use crate::diagnostics::{invalid_attribute, Diagnostic};
use crate::provider::{regions, ProviderData};
use crate::schema::Attribute;
use crate::tfvalue::{Type, Value};

/// The fix for a bad `db_cluster_id` of a data source.
const CLUSTER_FIX: &str = "Use a PolarDB cluster ID, e.g. \"pc-bp1abc2def3gh4ijk\".";

/// The fix for a bad `db_instance_name` of a data source or the ephemeral resource.
pub const INSTANCE_FIX: &str = "Use a PolarDB-X instance name, e.g. \"pxc-hzabc123\".";

/// `db_cluster_id`, required, as the data sources take it.
pub fn cluster_id() -> Attribute {
    Attribute::required(
        "db_cluster_id",
        Type::String,
        "The cluster, e.g. `pc-bp1abc2def3gh4ijk`.",
    )
}

/// `db_instance_name`, required, described as `description`.
pub fn instance_name(description: &str) -> Attribute {
    Attribute::required("db_instance_name", Type::String, description)
}

/// `region_id`, optional: the PolarDB-X instance's region, the provider's when left out.
pub fn region_id() -> Attribute {
    Attribute::optional_computed(
        "region_id",
        Type::String,
        "The instance's region (default: the provider's region).",
    )
}

/// `size_bytes`, computed: the size of a backup set, as both resources report it.
pub fn size_bytes() -> Attribute {
    Attribute::computed(
        "size_bytes",
        Type::Number,
        "Size of the backup set in bytes.",
    )
}

/// Checks a known `db_cluster_id`, with `fix` (or the data sources' fix when `None`).
pub fn check_cluster(config: &Value, fix: Option<&str>) -> Option<Diagnostic> {
    check_attr(
        config,
        "db_cluster_id",
        check_cluster_id,
        fix.unwrap_or(CLUSTER_FIX),
    )
}

/// Checks a known `db_instance_name`, with `fix`.
pub fn check_instance(config: &Value, fix: &str) -> Option<Diagnostic> {
    check_attr(config, "db_instance_name", check_instance_name, fix)
}

/// Checks the form of a known `region_id`.
pub fn check_region_id(config: &Value) -> Option<Diagnostic> {
    check_attr(
        config,
        "region_id",
        check_region,
        "Use a region ID such as \"cn-hangzhou\", or leave it out.",
    )
}

/// Checks a known PolarDB `backup_mode` filter.
pub fn check_polardb_mode(config: &Value) -> Option<Diagnostic> {
    check_attr(
        config,
        "backup_mode",
        one_of(&["Automated", "Manual"], "a backup mode"),
        "Use \"Automated\" or \"Manual\".",
    )
}

/// The PolarDB-X region `config` names in `region_id` (the provider's when left out), once it
/// passed [`check_region_in_use`], and a client for it.
pub fn polardbx_client(
    provider: &ProviderData,
    config: &Value,
) -> Result<(String, Client), Diagnostic> {
    let region = config
        .str_attr("region_id")
        .unwrap_or(&provider.region)
        .to_string();
    check_region_in_use(provider, &region, "region_id")?;
    let client = provider
        .polardbx_in(&region)
        .map_err(|e| crate::diagnostics::api_error("set up the PolarDB-X client", &e))?;
    Ok((region, client))
}

/// A region a resource, data source or import ID names must be one the provider knows, or the
/// provider's own `region` (which passed the provider's check: an unknown one is allowed only
/// with endpoint overrides, for regions newer than this provider). Refuses a misspelt region
/// even when an endpoint override would send the call anywhere.
pub fn check_region_in_use(
    provider: &ProviderData,
    region: &str,
    attribute: &str,
) -> Result<(), Diagnostic> {
    if regions::is_known(region) || region == provider.region {
        return Ok(());
    }
    Err(invalid_attribute(
        attribute,
        &format!(
            "\"{region}\" is not a region this provider knows, and it is not the provider's \
             region (\"{}\").",
            provider.region
        ),
        "Check the spelling (e.g. \"cn-hangzhou\", \"ap-southeast-1\"). For a region newer \
         than this provider, set it as the provider's `region`, with endpoint overrides.",
    ))
}
