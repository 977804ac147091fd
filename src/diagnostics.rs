//! The diagnostics several callers share, built here so that each says what happened, names the
//! attribute where there is one, says what to do, and (for API errors) carries the RequestId. A
//! message only one resource or data source gives is written beside it with [`Diagnostic::error`]
//! or [`invalid_attribute`], to the same rules.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One step of an attribute path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Attribute(String),
    Key(String),
    Index(i64),
}

/// A path to an attribute, as Terraform shows it under a diagnostic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributePath {
    pub steps: Vec<PathStep>,
}

impl AttributePath {
    /// The path of the top-level attribute `name`.
    pub fn attr(name: &str) -> AttributePath {
        AttributePath {
            steps: vec![PathStep::Attribute(name.to_string())],
        }
    }

    /// This path extended by the attribute `name`.
    pub fn then(mut self, name: &str) -> AttributePath {
        self.steps.push(PathStep::Attribute(name.to_string()));
        self
    }

    /// This path extended by the collection index `i`.
    pub fn index(mut self, i: i64) -> AttributePath {
        self.steps.push(PathStep::Index(i));
        self
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(a) if i == 0 => write!(f, "{a}")?,
                PathStep::Attribute(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A diagnostic: summary (one line), detail (what happened and what to do), optional attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub attribute: Option<AttributePath>,
}

pub type Diagnostics = Vec<Diagnostic>;

/// Diagnostics quote the user's values and the service's messages; these bounds keep a huge value
/// (say a 16 MiB ID) from flooding the terminal, while the start (what) and the end (the fix)
/// of the text survive.
const MAX_SUMMARY_CHARS: usize = 200;
const MAX_DETAIL_CHARS: usize = 4000;

/// `text` itself when it has at most `max` characters; otherwise its first and last parts with
/// a note of how much was left out between them.
fn bounded(text: String, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text;
    }
    let head: String = text.chars().take(max / 2).collect();
    let tail: String = text.chars().skip(count - max / 4).collect();
    format!(
        "{head} [... {} characters left out ...] {tail}",
        count - max / 2 - max / 4
    )
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, summary.into(), detail.into())
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, summary.into(), detail.into())
    }

    /// A diagnostic about no attribute in particular, its texts bounded in length.
    fn new(severity: Severity, summary: String, detail: String) -> Diagnostic {
        Diagnostic {
            severity,
            summary: bounded(summary, MAX_SUMMARY_CHARS),
            detail: bounded(detail, MAX_DETAIL_CHARS),
            attribute: None,
        }
    }

    /// Attaches the attribute the diagnostic is about.
    pub fn at(mut self, path: AttributePath) -> Diagnostic {
        self.attribute = Some(path);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True when any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// An attribute's value is invalid: names the attribute, says what was wrong and how to fix it.
pub fn invalid_attribute(name: &str, problem: &str, fix: &str) -> Diagnostic {
    invalid_at(AttributePath::attr(name), problem, fix)
}

/// [`invalid_attribute`] for a nested attribute, e.g. `endpoints.polardb`.
pub fn invalid_at(path: AttributePath, problem: &str, fix: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Invalid value for \"{path}\""),
        format!("{problem}\n\n{fix}"),
    )
    .at(path)
}

/// A gRPC request carried bytes that do not decode for the schema: a Terraform/provider mismatch.
pub fn undecodable(what: &str, err: &dyn std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        format!("Could not decode the {what}"),
        format!(
            "The provider could not decode the {what} Terraform sent: {err}. This is a bug in \
             Terraform or in the provider; please report it with the Terraform version."
        ),
    )
}

/// A duration that does not parse: names the attribute (e.g. `timeouts.create`) and the form.
pub fn invalid_duration(path: AttributePath, problem: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Invalid duration for \"{path}\""),
        format!(
            "{problem}.\n\nWrite a positive duration as whole numbers with units h, m, s or ms, \
             for example \"2h\", \"20m\", \"90s\" or \"1h30m\"."
        ),
    )
    .at(path)
}

/// A provider argument that is unknown when the provider is configured.
pub fn unknown_provider_argument(name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("The provider argument \"{name}\" is not known yet"),
        format!(
            "\"{name}\" depends on a value that is only known after apply, but the provider needs \
             it to reach the API. Set it from a variable or a literal, or apply the resources it \
             depends on first with -target."
        ),
    )
    .at(AttributePath::attr(name))
}

/// No region in the provider block nor in the environment.
pub fn missing_region() -> Diagnostic {
    Diagnostic::error(
        "No region configured",
        "The provider needs a region, e.g. \"cn-hangzhou\". Set `region` in the provider block, \
         or the environment variable ALIBABA_CLOUD_REGION (or ALICLOUD_REGION).",
    )
    .at(AttributePath::attr("region"))
}

/// A region that is well-formed but unknown to this provider, with no endpoint override.
pub fn unknown_region(region: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Unknown region \"{region}\""),
        format!(
            "\"{region}\" is not a region this provider knows. Check the spelling (e.g. \
             \"cn-hangzhou\", \"ap-southeast-1\"). If it is a new region, set \
             `endpoints {{ polardb = ..., polardbx = ... }}` in the provider block to its endpoints."
        ),
    )
    .at(AttributePath::attr("region"))
}

/// The credentials chain found nothing usable: one diagnostic listing where it looked.
pub fn no_credentials(err: &crate::alicloud::credentials::NoCredentials) -> Diagnostic {
    let looked = err
        .searched
        .iter()
        .map(|s| format!("  - {s}"))
        .collect::<Vec<_>>()
        .join("\n");
    let problem = err
        .problem
        .as_deref()
        .map(|p| format!("{p}\n\n"))
        .unwrap_or_default();
    Diagnostic::error(
        "No usable Alibaba Cloud credentials",
        format!(
            "{problem}The provider looked for credentials in:\n{looked}\n\nSet `access_key` and \
             `secret_key` in the provider block, or ALIBABA_CLOUD_ACCESS_KEY_ID and \
             ALIBABA_CLOUD_ACCESS_KEY_SECRET in the environment, or name an Alibaba Cloud CLI \
             profile with `profile`, or an ECS RAM role with `ecs_role_name`."
        ),
    )
}

/// `insecure = true`: TLS certificates of the API endpoints are not checked.
pub fn insecure_warning() -> Diagnostic {
    Diagnostic::warning(
        "TLS certificate verification is off",
        "`insecure = true` makes the provider accept any certificate from the API endpoints, so \
         anyone on the network path could read your requests and signatures. Use it only with \
         test endpoints such as a local emulator, never with the real cloud.",
    )
    .at(AttributePath::attr("insecure"))
}

/// Maps an API error to a diagnostic by its kind: what was being done, what happened, what to
/// do, and always the RequestId. `doing` completes "Could not ...", e.g. "create the PolarDB
/// backup of pc-123".
pub fn api_error(doing: &str, err: &crate::alicloud::ApiError) -> Diagnostic {
    use crate::alicloud::ErrorKind as K;
    let (headline, advice): (&str, String) = match err.kind {
        K::Quota if err.action == "CreateBackup" => (
            "the cluster already has the maximum of 3 manual backups",
            "A PolarDB cluster keeps at most 3 manual backups. An existing manual backup must be \
             deleted first (destroy one of the backup resources, or delete a manual backup in \
             the console), then apply again."
                .into(),
        ),
        K::Quota => (
            "a quota or limit was reached",
            "Free some of the quota (or ask for a higher one), then apply again.".into(),
        ),
        K::NotFound => (
            "the cluster, instance or backup does not exist",
            "Check the ID and that the provider's region (or `region_id`) is the one it lives in. \
             The error message above names what the service could not find."
                .into(),
        ),
        K::InvalidState => (
            "the target is not in a state that allows this",
            "Backups can be taken and deleted only while the cluster or instance is running and \
             no other operation is in progress. Wait until it is running, then apply again."
                .into(),
        ),
        K::Throttling | K::ServerError | K::Connect if err.budget_exhausted => (
            "the service kept refusing or failing until the retry budget ran out",
            format!(
                "The provider retried for the whole `max_retry_timeout` ({} attempts) and the \
                 failure never cleared. Apply again later, or raise `max_retry_timeout` in the \
                 provider block.",
                err.attempts
            ),
        ),
        K::Throttling => (
            "the service throttled the request",
            "Too many requests: apply again later, reduce -parallelism, or raise \
             `max_retry_timeout` in the provider block."
                .into(),
        ),
        K::ServerError => (
            "the service failed",
            "This is a problem on the service side. Apply again later.".into(),
        ),
        K::Connect => (
            "the API endpoint could not be reached",
            "Check the network, a proxy (HTTPS_PROXY), and any `endpoints` override in the \
             provider block."
                .into(),
        ),
        K::Ambiguous => (
            "the request was sent but no answer came",
            "The operation may or may not have happened. Run `terraform apply` again: the \
             provider recognises an operation that did happen and does not repeat it."
                .into(),
        ),
        K::Stopped => (
            "the provider was asked to stop",
            "Terraform was interrupted while this call was waiting or in flight. Run the same \
             command again to finish what was started."
                .into(),
        ),
        K::Auth => (
            "the credentials were refused",
            "Check `access_key` / `secret_key` (or the profile, environment variables or role \
             the provider used), that the key is enabled, that the clock of this machine is \
             right, and that the RAM user or role may call this action on this resource."
                .into(),
        ),
        K::InvalidInput => (
            "the service refused a parameter",
            "Fix the argument the message names, then apply again.".into(),
        ),
        K::Other => (
            "the call failed",
            "Apply again; if it keeps failing, report it with the RequestId below.".into(),
        ),
    };
    let request_id = match (&err.request_id, err.http_status) {
        (Some(id), _) => id.clone(),
        (None, Some(status)) => format!("none (the answer, HTTP {status}, carried none)"),
        (None, None) => "none (no response reached the provider)".to_string(),
    };
    let mut detail = format!(
        "{} failed with {}: {}\n\n{advice}",
        err.action, err.code, err.message
    );
    if let Some(recommend) = err.recommend.as_deref().filter(|r| !r.is_empty()) {
        detail.push_str(&format!("\n\nDiagnosis: {recommend}"));
    }
    detail.push_str(&format!("\n\nRequestId: {request_id}"));
    Diagnostic::error(format!("Could not {doing}: {headline}"), detail)
}

/// Waiting for a new backup ran past its timeout. The backup exists and its ID is in state;
/// Terraform taints it, and the next apply resumes it (see `resources::lifecycle`).
pub fn wait_timeout(what: &str, id: &str, waited: std::time::Duration, status: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Timed out waiting for {what}"),
        format!(
            "{what} {id} was created, but it was not finished after {}s (last status: \
             {status}). Its ID is saved in the state, marked tainted, so that nothing that depends \
             on it runs in this apply.\n\nRun `terraform apply` again: the plan shows the backup \
             as replaced because it is tainted, but the provider waits for this same backup \
             instead of deleting it and creating another. For long backups, raise \
             `timeouts.create` or set `wait_for_completion = false`.",
            waited.as_secs()
        ),
    )
    .at(AttributePath::attr("timeouts").then("create"))
}

/// Waiting again for a backup already in state (an in-place wait) ran past its timeout.
pub fn wait_again_timeout(
    what: &str,
    id: &str,
    waited: std::time::Duration,
    status: &str,
) -> Diagnostic {
    Diagnostic::error(
        format!("Timed out waiting for {what}"),
        format!(
            "{what} {id} was still not finished after {}s (last status: {status}). It stays in \
             the state, not tainted. Run `terraform apply` again to go on waiting, or raise \
             `timeouts.create`.",
            waited.as_secs()
        ),
    )
    .at(AttributePath::attr("timeouts").then("create"))
}

/// Terraform was interrupted while a backup was being waited on. A warning, not an error: an
/// error would taint the resource. Both resources plan an in-place wait for it.
pub fn wait_stopped(what: &str, id: &str) -> Diagnostic {
    let next = "Run `terraform apply` again: while the backup is not finished, the plan shows \
                an in-place update that waits for it.";
    Diagnostic::warning(
        format!("Stopped waiting for {what}"),
        format!(
            "Terraform was interrupted while waiting for {what} {id}. Its ID is saved in the \
             state and it keeps running in the cloud. {next}"
        ),
    )
}

/// A backup ended in the `Failed` state.
pub fn backup_failed(what: &str, id: &str) -> Diagnostic {
    Diagnostic::error(
        format!("{what} failed"),
        format!(
            "{what} {id} ended in the Failed state. It is saved in the state, marked tainted, so \
             the next apply replaces it. Check the cluster's health in the console if it fails \
             again."
        ),
    )
}

/// Waiting failed on an API error after the backup was created (`created`) or while waiting
/// again for one in state: the ID is in state either way.
pub fn wait_api_error(
    what: &str,
    id: &str,
    err: &crate::alicloud::ApiError,
    created: bool,
) -> Diagnostic {
    let mut d = api_error(&format!("check on {what} {id}"), err);
    let kept = if created {
        "was created and its ID is saved in the state, marked tainted. The next apply waits \
         for this same backup instead of replacing it."
    } else {
        "stays in the state. The next apply waits for it again."
    };
    d.detail = format!("{what} {id} {kept}\n\n{}", d.detail);
    d
}

/// A backup could not be deleted because it did not finish within the delete timeout.
pub fn still_running_at_delete(what: &str, id: &str, status: &str) -> Diagnostic {
    Diagnostic::error(
        format!("{what} is still running"),
        format!(
            "{what} {id} is still running (status {status}) and can be deleted only once it has \
             finished. It stays in the state. Run `terraform destroy` again once it has \
             finished, or raise `timeouts.delete`."
        ),
    )
    .at(AttributePath::attr("timeouts").then("delete"))
}

/// Terraform was interrupted while a destroy waited for a backup.
pub fn delete_interrupted(what: &str, id: &str, accepted: bool) -> Diagnostic {
    let done = if accepted {
        "DeleteBackup was accepted, but its end was not confirmed"
    } else {
        "it was waiting for the backup to finish before deleting it, and nothing was deleted"
    };
    Diagnostic::error(
        format!("Interrupted while deleting {what}"),
        format!(
            "Terraform was interrupted while deleting {what} {id}: {done}. It stays in the \
             state. Run `terraform destroy` again."
        ),
    )
}

/// Another resource of the same type uses this `client_token` in the same configuration.
pub fn duplicate_client_token(token: &str) -> Diagnostic {
    invalid_attribute(
        "client_token",
        &format!(
            "Another backup resource in this configuration also uses the client_token \
             \"{token}\". PolarDB treats creates with one token as one request, so both \
             resources would hold the same backup and destroying one would delete the other's."
        ),
        "Give each resource its own client_token, or leave it out to have one generated.",
    )
}

/// A create was answered with a job that neither DescribeBackupTasks nor DescribeBackups lists.
pub fn job_not_found(what: &str, id: &str, job_id: &str) -> Diagnostic {
    Diagnostic::error(
        format!("{what} was not found after its create"),
        format!(
            "CreateBackup answered with backup job {job_id} for {what} {id}, but neither the \
             job nor a backup it made is listed. This happens when another resource used the \
             same client_token and its backup was deleted. Give this resource its own \
             client_token (or leave it out), then run `terraform apply` again."
        ),
    )
    .at(AttributePath::attr("client_token"))
}

/// `deletion_policy = "Retain"`: destroy forgets the backup and leaves it in the cloud.
pub fn retained_warning(id: &str) -> Diagnostic {
    Diagnostic::warning(
        "Backup kept in the cloud",
        format!(
            "deletion_policy is \"Retain\", so PolarDB backup {id} was removed from the Terraform \
             state but not deleted. It still counts toward the cluster's 3 manual backups until \
             you delete it (console or API) or it expires."
        ),
    )
}

/// PolarDB-X has no API to delete a backup set: destroy forgets it.
pub fn polardbx_forgotten_warning(id: &str) -> Diagnostic {
    Diagnostic::warning(
        "PolarDB-X backup set kept until its retention ends",
        format!(
            "PolarDB-X has no API to delete a backup set, so {id} was removed from the Terraform \
             state only. It stays in the cloud until its retention period ends."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paths print the way Terraform users write them.
    #[test]
    fn path_display() {
        let p = AttributePath::attr("timeouts").then("create");
        assert_eq!(p.to_string(), "timeouts.create");
        assert_eq!(
            AttributePath::attr("items").index(2).then("id").to_string(),
            "items[2].id"
        );
    }

    /// An invalid-attribute diagnostic names the attribute in summary and path, and says the fix.
    #[test]
    fn invalid_attribute_names_it() {
        let d = invalid_attribute("db_cluster_id", "\"x\" is not a cluster ID.", "Use pc-...");
        assert!(d.is_error());
        assert!(d.summary.contains("db_cluster_id"));
        assert!(d.detail.contains("Use pc-"));
        assert_eq!(d.attribute, Some(AttributePath::attr("db_cluster_id")));
    }

    fn api(kind: crate::alicloud::ErrorKind, code: &str) -> crate::alicloud::ApiError {
        crate::alicloud::ApiError {
            kind,
            action: "CreateBackup".into(),
            code: code.into(),
            message: "msg".into(),
            request_id: Some("REQ-123".into()),
            host_id: None,
            recommend: None,
            http_status: Some(400),
            attempts: 4,
            budget_exhausted: false,
        }
    }

    /// The quota error names the 3-backup limit and that one must be deleted; all carry the RequestId.
    #[test]
    fn api_error_quota_and_request_id() {
        use crate::alicloud::ErrorKind as K;
        let d = api_error("create the backup", &api(K::Quota, "QuotaExceeded"));
        assert!(d.summary.contains("3 manual backups"), "{}", d.summary);
        assert!(d.detail.contains("deleted first"));
        for kind in [
            K::NotFound,
            K::Auth,
            K::InvalidState,
            K::Throttling,
            K::Other,
            K::Ambiguous,
        ] {
            let d = api_error("x", &api(kind, "C"));
            assert!(d.detail.contains("RequestId: REQ-123"), "{kind:?}");
            assert!(d.is_error());
        }
    }

    /// Throttling that outlasted the budget says so and names max_retry_timeout.
    #[test]
    fn api_error_budget_exhausted() {
        let mut e = api(crate::alicloud::ErrorKind::Throttling, "Throttling.User");
        e.budget_exhausted = true;
        let d = api_error("create the backup", &e);
        assert!(d.summary.contains("retry budget"));
        assert!(d.detail.contains("max_retry_timeout"));
        assert!(d.detail.contains("4 attempts"));
    }

    /// A wait timeout says the ID is in state and how to continue.
    #[test]
    fn wait_timeout_explains_next_steps() {
        let d = wait_timeout(
            "PolarDB backup",
            "pc-a:1",
            std::time::Duration::from_secs(90),
            "Backing",
        );
        assert!(d.detail.contains("pc-a:1"));
        assert!(d.detail.contains("saved in the state"));
        assert!(d.detail.contains("timeouts.create"));
        assert_eq!(
            d.attribute,
            Some(AttributePath::attr("timeouts").then("create"))
        );
    }

    /// The no-credentials diagnostic lists every place searched and the problem, if any.
    #[test]
    fn no_credentials_lists_sources() {
        let e = crate::alicloud::credentials::NoCredentials {
            searched: vec!["provider arguments".into(), "environment".into()],
            problem: Some("profile \"x\" does not exist".into()),
        };
        let d = no_credentials(&e);
        assert!(d.detail.contains("  - provider arguments\n  - environment"));
        assert!(d.detail.starts_with("profile \"x\""));
    }

    /// A huge quoted value is cut in the middle: the start and the fix at the end survive.
    #[test]
    fn huge_text_is_bounded() {
        let id = "x".repeat(16 << 20);
        let d = invalid_attribute(
            "db_cluster_id",
            &format!("\"{id}\" is not a cluster ID."),
            "Use pc-...",
        );
        assert!(
            d.detail.chars().count() < MAX_DETAIL_CHARS + 100,
            "{}",
            d.detail.len()
        );
        assert!(d.detail.starts_with("\"xxx"));
        assert!(d.detail.ends_with("Use pc-..."));
        assert!(d.detail.contains("characters left out"));
        let short = Diagnostic::error("s", "short detail");
        assert_eq!(short.detail, "short detail");
    }

    /// Text has no run of spaces inside a line (list indentation is allowed) and no line break
    /// in the middle of a sentence (one followed by a lowercase letter or preceded by a space).
    fn assert_clean(d: &Diagnostic) {
        for text in [&d.summary, &d.detail] {
            for line in text.lines() {
                let body = line.trim_start();
                assert!(!body.contains("  "), "run of spaces in {text:?}");
                assert!(!line.ends_with(' '), "trailing space in {text:?}");
            }
            for (i, _) in text.match_indices('\n') {
                let next = text[i + 1..].chars().next();
                assert!(
                    !next.is_some_and(char::is_lowercase),
                    "mid-sentence line break in {text:?}"
                );
            }
            assert!(
                !d.summary.contains('\n'),
                "line break in summary {:?}",
                d.summary
            );
        }
    }

    /// Every diagnostic built here reads cleanly: no runs of spaces, no mid-sentence breaks.
    #[test]
    fn every_diagnostic_reads_cleanly() {
        use crate::alicloud::ErrorKind as K;
        let secs = std::time::Duration::from_secs(7);
        let mut all = vec![
            invalid_attribute("db_cluster_id", "\"x\" is not a cluster ID.", "Use pc-..."),
            invalid_at(
                AttributePath::attr("endpoints").then("polardb"),
                "Bad.",
                "Fix it.",
            ),
            undecodable("config", &"bad msgpack"),
            invalid_duration(
                AttributePath::attr("timeouts").then("create"),
                "\"x\" is bad",
            ),
            unknown_provider_argument("region"),
            missing_region(),
            unknown_region("cn-hangzou"),
            no_credentials(&crate::alicloud::credentials::NoCredentials {
                searched: vec!["provider arguments".into(), "environment".into()],
                problem: Some("profile \"x\" does not exist".into()),
            }),
            insecure_warning(),
            wait_timeout("PolarDB backup", "pc-a:1", secs, "Running"),
            wait_again_timeout("PolarDB backup", "pc-a:1", secs, "Running"),
            wait_stopped("PolarDB backup", "pc-a:1"),
            wait_stopped("PolarDB-X backup set", "cn-hangzhou:pxc-a:1"),
            backup_failed("PolarDB backup", "pc-a:1"),
            wait_api_error("PolarDB backup", "pc-a:1", &api(K::Auth, "Forbidden"), true),
            wait_api_error(
                "PolarDB backup",
                "pc-a:1",
                &api(K::Auth, "Forbidden"),
                false,
            ),
            still_running_at_delete("PolarDB backup", "pc-a:1", "Running"),
            delete_interrupted("PolarDB backup", "pc-a:1", true),
            delete_interrupted("PolarDB backup", "pc-a:1", false),
            duplicate_client_token("t-1"),
            job_not_found("PolarDB backup", "pc-a:1", "42"),
            retained_warning("pc-a:1"),
            polardbx_forgotten_warning("cn-hangzhou:pxc-a:1"),
        ];
        for kind in [
            K::Quota,
            K::NotFound,
            K::InvalidState,
            K::Throttling,
            K::ServerError,
            K::Connect,
            K::Ambiguous,
            K::Auth,
            K::InvalidInput,
            K::Other,
        ] {
            all.push(api_error("create a backup of pc-a", &api(kind, "Code")));
            let mut spent = api(kind, "Code");
            spent.budget_exhausted = true;
            all.push(api_error("create a backup of pc-a", &spent));
        }
        for d in &all {
            assert_clean(d);
        }
    }

    /// The interrupt warning says the backup keeps running and that the next apply waits; an
    /// interrupted destroy does not advise raising timeouts.delete.
    #[test]
    fn interrupt_messages() {
        let d = wait_stopped("PolarDB backup", "pc-a:1");
        assert!(!d.is_error());
        assert!(d.detail.contains("pc-a:1") && d.detail.contains("waits for it"));
        for accepted in [true, false] {
            let d = delete_interrupted("PolarDB backup", "pc-a:1", accepted);
            assert!(!d.detail.contains("timeouts.delete"), "{}", d.detail);
            assert!(d.detail.contains("terraform destroy"));
        }
    }
}
