//! The provider block's schema: region, credentials, endpoints and transport settings.
//!
//! Argument and environment-variable names follow the official alicloud provider, so a
//! configuration can move between the two (or use both side by side) without renaming.

use crate::schema::{Attribute, Block, NestedBlock, Schema};
use crate::tfvalue::Type;

/// The provider block's schema. Every argument is optional: each has an environment variable
/// or a default behind it.
pub fn schema() -> Schema {
    let s = |name: &str, description: &str| Attribute::optional(name, Type::String, description);
    let block = Block::new(
        "The alicloud provider for PolarDB and PolarDB-X backups. Credentials follow the \
         official alicloud provider's chain: arguments, environment, CLI profile, ECS RAM role.",
    )
    .attribute(s(
        "region",
        "Region ID, e.g. `cn-hangzhou`. Default: `ALIBABA_CLOUD_REGION` or `ALICLOUD_REGION`.",
    ))
    .attribute(s(
        "access_key",
        "AccessKey ID. Default: `ALIBABA_CLOUD_ACCESS_KEY_ID` or `ALICLOUD_ACCESS_KEY`.",
    ))
    .attribute(
        s(
            "secret_key",
            "AccessKey secret. Default: `ALIBABA_CLOUD_ACCESS_KEY_SECRET` or `ALICLOUD_SECRET_KEY`.",
        )
        .sensitive(),
    )
    .attribute(
        s(
            "security_token",
            "STS security token for temporary credentials. Default: \
             `ALIBABA_CLOUD_SECURITY_TOKEN` or `ALICLOUD_SECURITY_TOKEN`.",
        )
        .sensitive(),
    )
    .attribute(s(
        "profile",
        "Alibaba Cloud CLI profile name (`~/.aliyun/config.json`). Default: `ALIBABA_CLOUD_PROFILE` \
         or `ALICLOUD_PROFILE`.",
    ))
    .attribute(s(
        "shared_credentials_file",
        "Path of the CLI configuration file. Default: `~/.aliyun/config.json`.",
    ))
    .attribute(s(
        "ecs_role_name",
        "RAM role of this ECS instance, read through the instance metadata service.",
    ))
    .attribute(s(
        "signature_version",
        "Request signature: `\"v2\"` (HMAC-SHA1, the default, as the official provider signs) or \
         `\"v3\"` (ACS3-HMAC-SHA256).",
    ))
    .attribute(s(
        "max_retry_timeout",
        "How long throttled or failed calls are retried, e.g. `\"5m\"` (the default).",
    ))
    .attribute(s(
        "connect_timeout",
        "Time to connect to an API endpoint, e.g. `\"10s\"` (the default).",
    ))
    .attribute(s(
        "read_timeout",
        "Time to wait for an API answer, e.g. `\"60s\"` (the default).",
    ))
    .attribute(Attribute::optional(
        "insecure",
        Type::Bool,
        "Skip TLS certificate verification of the API endpoints. For test endpoints only; a \
         warning is shown when set.",
    ))
    .block(NestedBlock::single(
        "assume_role",
        Block::new("Assume a RAM role with STS on top of the credentials found.")
            .attribute(Attribute::required(
                "role_arn",
                Type::String,
                "ARN of the role, e.g. `acs:ram::123456789012:role/backup-operator`.",
            ))
            .attribute(s("session_name", "Session name shown in audit logs."))
            .attribute(s("policy", "A JSON policy that further restricts the role."))
            .attribute(Attribute::optional(
                "session_expiration",
                Type::Number,
                "Session lifetime in seconds, 900 to 43200 (default 3600).",
            ))
            .attribute(s("external_id", "External ID the role's trust policy requires.")),
    ))
    .block(NestedBlock::single(
        "endpoints",
        Block::new(
            "Endpoint overrides, e.g. a local emulator. Default: the public endpoint of the region, \
             or `ALIBABA_CLOUD_ENDPOINT_POLARDB` / `ALIBABA_CLOUD_ENDPOINT_POLARDBX`.",
        )
        .attribute(s("polardb", "PolarDB API endpoint URL."))
        .attribute(s("polardbx", "PolarDB-X API endpoint URL."))
        .attribute(s("sts", "STS endpoint URL (for `assume_role`).")),
    ));
    Schema::new(0, block)
}

#[cfg(test)]
mod tests {
    /// The secrets are marked sensitive, so Terraform redacts them in plans.
    #[test]
    fn secrets_are_sensitive() {
        let s = super::schema();
        for name in ["secret_key", "security_token"] {
            assert!(s.block.find(name).is_some_and(|a| a.sensitive), "{name}");
        }
        assert!(s.block.find("access_key").is_some_and(|a| !a.sensitive));
        assert!(s.block.attributes.iter().all(|a| a.optional && !a.required));
        let names: Vec<_> = s
            .block
            .blocks
            .iter()
            .map(|b| b.type_name.as_str())
            .collect();
        assert_eq!(names, ["assume_role", "endpoints"]);
    }
}
