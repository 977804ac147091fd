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
         official alicloud provider's chain: arguments, environment, named CLI profile, ECS RAM \
         role, OIDC role; then `assume_role`.",
    )
    .attribute(s(
        "region",
        "Region ID, e.g. `cn-hangzhou`. Default: `ALICLOUD_REGION`, `ALIBABA_CLOUD_REGION`, the \
         named CLI profile's `region_id`, else `cn-beijing` (with a warning), as the official \
         provider.",
    ))
    .attribute(s(
        "access_key",
        "AccessKey ID. Default: `ALICLOUD_ACCESS_KEY`, `ALIBABA_CLOUD_ACCESS_KEY_ID` or \
         `ALIBABACLOUD_ACCESS_KEY_ID`.",
    ))
    .attribute(
        s(
            "secret_key",
            "AccessKey secret. Default: `ALICLOUD_SECRET_KEY`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` \
             or `ALIBABACLOUD_ACCESS_KEY_SECRET`.",
        )
        .sensitive(),
    )
    .attribute(
        s(
            "security_token",
            "STS security token for temporary credentials. Default: `ALICLOUD_SECURITY_TOKEN`, \
             `ALIBABA_CLOUD_SECURITY_TOKEN` or `ALIBABACLOUD_SECURITY_TOKEN`.",
        )
        .sensitive(),
    )
    .attribute(s(
        "profile",
        "Alibaba Cloud CLI profile to read (`~/.aliyun/config.json`); no profile is read unless \
         one is named. Default: `ALICLOUD_PROFILE` or `ALIBABA_CLOUD_PROFILE`.",
    ))
    .attribute(s(
        "shared_credentials_file",
        "Path of the CLI configuration file. Default: `ALICLOUD_SHARED_CREDENTIALS_FILE`, \
         `ALIBABA_CLOUD_CREDENTIALS_FILE`, else `~/.aliyun/config.json`.",
    ))
    .attribute(s(
        "ecs_role_name",
        "RAM role of this ECS instance, read through the instance metadata service. Default: \
         `ALICLOUD_ECS_ROLE_NAME` or `ALIBABA_CLOUD_ECS_METADATA`.",
    ))
    .attribute(s(
        "signature_version",
        "Request signature: `\"v2\"` (HMAC-SHA1, the default, as the official provider signs) or \
         `\"v3\"` (ACS3-HMAC-SHA256).",
    ))
    .attribute(s(
        "max_retry_timeout",
        "How long a throttled or transiently failing call is retried, counted from its first \
         attempt: whole seconds as in the official provider (`300`) or a duration (`\"5m\"`, \
         the default). `0` means the default. Default: `MAX_RETRY_TIMEOUT` (seconds).",
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
        "client_connect_timeout",
        Type::Number,
        "The official provider's connect timeout in milliseconds; used when `connect_timeout` \
         is not set. Default: `CLIENT_CONNECT_TIMEOUT`.",
    ))
    .attribute(Attribute::optional(
        "client_read_timeout",
        Type::Number,
        "The official provider's read timeout in milliseconds; used when `read_timeout` is not \
         set. Default: `CLIENT_READ_TIMEOUT`.",
    ))
    .attribute(Attribute::optional(
        "skip_region_validation",
        Type::Bool,
        "Accept a well-formed region this provider does not know, without endpoint overrides. \
         Default: `ALICLOUD_SKIP_REGION_VALIDATION`, else false.",
    ))
    .attribute(s(
        "configuration_source",
        "Accepted so that a block copied from the official provider works; this provider \
         does not use it.",
    ))
    .attribute(Attribute::optional(
        "insecure",
        Type::Bool,
        "Skip TLS certificate verification of the API endpoints, and allow plain `http://` \
         endpoints on hosts that are not loopback. For test endpoints only; a warning is shown \
         when set. STS and the ECS metadata service are never affected.",
    ))
    .block(NestedBlock::single(
        "assume_role",
        Block::new("Assume a RAM role with STS AssumeRole on top of the credentials found.")
            .attribute(s(
                "role_arn",
                "ARN of the role, e.g. `acs:ram::123456789012:role/backup-operator`. Default: \
                 `ALICLOUD_ASSUME_ROLE_ARN` or `ALIBABA_CLOUD_ROLE_ARN`; one of them is needed.",
            ))
            .attribute(s(
                "session_name",
                "Session name shown in audit logs. Default: `ALICLOUD_ASSUME_ROLE_SESSION_NAME`, \
                 `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else `terraform`.",
            ))
            .attribute(s("policy", "A JSON policy that further restricts the role."))
            .attribute(Attribute::optional(
                "session_expiration",
                Type::Number,
                "Session lifetime in seconds, 900 to 43200. Default: \
                 `ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION`, else 3600.",
            ))
            .attribute(s("external_id", "External ID the role's trust policy requires.")),
    ))
    .block(NestedBlock::single(
        "assume_role_with_oidc",
        Block::new(
            "Assume a RAM role with an OIDC token (STS AssumeRoleWithOIDC), e.g. in a Kubernetes \
             pod with RRSA. Used when no AccessKey, profile or ECS role gave credentials.",
        )
        .attribute(s(
            "oidc_provider_arn",
            "ARN of the OIDC identity provider, e.g. \
             `acs:ram::123456789012:oidc-provider/ack-rrsa-c123`. Default: \
             `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`.",
        ))
        .attribute(s(
            "oidc_token_file",
            "Path of the OIDC token file, read again at each refresh. Default: \
             `ALIBABA_CLOUD_OIDC_TOKEN_FILE`.",
        ))
        .attribute(
            s(
                "oidc_token",
                "The OIDC token itself, instead of a file (it wins over the file). Default: \
                 `ALIBABA_CLOUD_OIDC_TOKEN`.",
            )
            .sensitive(),
        )
        .attribute(s(
            "role_arn",
            "ARN of the role to assume. Default: `ALIBABA_CLOUD_ROLE_ARN`.",
        ))
        .attribute(s(
            "role_session_name",
            "Session name shown in audit logs. Default: `ALIBABA_CLOUD_ROLE_SESSION_NAME`, else \
             `terraform`.",
        ))
        .attribute(s("policy", "A JSON policy that further restricts the role."))
        .attribute(Attribute::optional(
            "session_expiration",
            Type::Number,
            "Session lifetime in seconds, 900 to 43200 (default 3600).",
        )),
    ))
    .block(NestedBlock::single(
        "endpoints",
        Block::new(
            "Endpoint overrides, e.g. a local emulator. Default: `ALIBABA_CLOUD_ENDPOINT_<PRODUCT>`, \
             then `<PRODUCT>_ENDPOINT`, else the public endpoint of the region.",
        )
        .attribute(s("polardb", "PolarDB API endpoint URL."))
        .attribute(s("polardbx", "PolarDB-X API endpoint URL."))
        .attribute(s(
            "sts",
            "STS endpoint URL (for `assume_role` and `assume_role_with_oidc`). Default: \
             `sts.<region>.aliyuncs.com`.",
        )),
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
        let oidc = s
            .block
            .blocks
            .iter()
            .find(|b| b.type_name == "assume_role_with_oidc")
            .expect("oidc block");
        assert!(oidc.block.find("oidc_token").is_some_and(|a| a.sensitive));
        assert!(s.block.find("access_key").is_some_and(|a| !a.sensitive));
        assert!(s.block.attributes.iter().all(|a| a.optional && !a.required));
        let names: Vec<_> = s
            .block
            .blocks
            .iter()
            .map(|b| b.type_name.as_str())
            .collect();
        assert_eq!(names, ["assume_role", "assume_role_with_oidc", "endpoints"]);
    }
}
