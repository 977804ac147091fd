//! A profile of the Alibaba Cloud CLI's configuration (`~/.aliyun/config.json`, as written by
//! `aliyun configure`). Like the official provider, a profile is read only when one is named
//! (`profile`, `ALICLOUD_PROFILE`, `ALIBABA_CLOUD_PROFILE`); its `region_id` is the region's
//! fallback. A file that other users can read is used, with a warning, as ssh warns.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::assume_role::AssumeRoleCredentials;
use super::ecs_role::EcsRoleCredentials;
use super::static_keys::StaticCredentials;
use super::{AssumeRoleSettings, Credentials, Secret, SharedProvider, REDACTED};

/// One profile of the CLI configuration (the fields this provider uses).
#[derive(Default, serde::Deserialize)]
pub struct CliProfile {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub access_key_id: String,
    #[serde(default)]
    access_key_secret: Option<Secret>,
    #[serde(default)]
    sts_token: Option<Secret>,
    #[serde(default)]
    pub ram_role_name: String,
    #[serde(default)]
    pub ram_role_arn: String,
    #[serde(default)]
    pub ram_session_name: String,
    #[serde(default)]
    pub expired_seconds: i64,
    #[serde(default)]
    pub region_id: String,
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

impl fmt::Debug for CliProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |s: &Option<Secret>| s.as_ref().map(|_| REDACTED);
        f.debug_struct("CliProfile")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &shown(&self.access_key_secret))
            .field("sts_token", &shown(&self.sts_token))
            .field("ram_role_name", &self.ram_role_name)
            .field("ram_role_arn", &self.ram_role_arn)
            .field("region_id", &self.region_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct CliConfig {
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

/// A profile read from its file, with the warnings reading it gave.
#[derive(Debug)]
pub struct Loaded {
    pub profile: CliProfile,
    pub warnings: Vec<String>,
}

/// The default path of the CLI configuration under `home`.
pub fn default_path(home: &Path) -> PathBuf {
    home.join(".aliyun").join("config.json")
}

/// Reads the profile `name` from `path`; an `Err` holds the one-line problem (unreadable
/// file, bad JSON, no such profile).
pub fn load(path: &Path, name: &str) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut warnings = Vec::new();
    if let Some(w) = readable_by_others(path) {
        warnings.push(w);
    }
    let config: CliConfig = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a valid Alibaba Cloud CLI config: {e}",
            path.display()
        )
    })?;
    let profile = config
        .profiles
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| format!("profile {name:?} does not exist in {}", path.display()))?;
    Ok(Loaded { profile, warnings })
}

/// A warning when group or others may read or write the file (mode & 077), as ssh refuses a
/// private key whose "permissions are too open".
#[cfg(unix)]
pub fn readable_by_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} holds credentials and its permissions ({mode:04o}) let other users read or \
             change it. Run `chmod 600 {}`.",
            path.display(),
            path.display()
        )
    })
}

#[cfg(not(unix))]
pub fn readable_by_others(_path: &Path) -> Option<String> {
    None
}

impl CliProfile {
    fn keys(&self) -> Result<Credentials, String> {
        match (&self.access_key_secret, self.access_key_id.is_empty()) {
            (Some(secret), false) if !secret.expose().is_empty() => Ok(Credentials {
                access_key_id: self.access_key_id.clone(),
                access_key_secret: secret.clone(),
                security_token: None,
            }),
            _ => Err(format!(
                "profile {:?} (mode {}) has no access_key_id/access_key_secret",
                self.name, self.mode
            )),
        }
    }

    /// The credentials source this profile describes.
    pub fn provider(
        &self,
        sts_endpoint: &str,
        metadata_endpoint: &str,
    ) -> Result<SharedProvider, String> {
        let name = &self.name;
        Ok(match self.mode.as_str() {
            "AK" | "" => Arc::new(StaticCredentials(self.keys()?)),
            "StsToken" => {
                let mut c = self.keys()?;
                match self.sts_token.as_ref().filter(|t| !t.expose().is_empty()) {
                    Some(t) => c.security_token = Some(t.clone()),
                    None => {
                        return Err(format!("profile {name:?} (mode StsToken) has no sts_token"))
                    }
                }
                Arc::new(StaticCredentials(c))
            }
            "RamRoleArn" => {
                let base = Arc::new(StaticCredentials(self.keys()?));
                if self.ram_role_arn.is_empty() {
                    return Err(format!(
                        "profile {name:?} (mode RamRoleArn) has no ram_role_arn"
                    ));
                }
                let ar = AssumeRoleSettings {
                    role_arn: self.ram_role_arn.clone(),
                    session_name: Some(self.ram_session_name.clone()).filter(|s| !s.is_empty()),
                    policy: None,
                    session_expiration: Some(self.expired_seconds).filter(|s| *s > 0),
                    external_id: None,
                };
                Arc::new(AssumeRoleCredentials::new(base, ar, sts_endpoint))
            }
            "EcsRamRole" => {
                if self.ram_role_name.is_empty() {
                    return Err(format!(
                        "profile {name:?} (mode EcsRamRole) has no ram_role_name"
                    ));
                }
                Arc::new(EcsRoleCredentials::new(
                    &self.ram_role_name,
                    metadata_endpoint,
                ))
            }
            other => {
                return Err(format!(
                    "profile {name:?} uses mode {other:?}; supported modes are AK, StsToken, \
                     RamRoleArn, EcsRamRole"
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alicloud::credentials::tests::{temp_home, write_config};

    /// Debug of a profile shows the redaction marker exactly where the secrets are.
    #[test]
    fn debug_redacts_exactly() {
        let p: CliProfile = serde_json::from_str(
            r#"{"name":"p","mode":"StsToken","access_key_id":"AKID","access_key_secret":"s3cr3t","sts_token":"t0ken"}"#,
        )
        .unwrap();
        let d = format!("{p:?}");
        assert!(
            d.contains("access_key_secret: Some(\"***\"), sts_token: Some(\"***\")"),
            "{d}"
        );
        assert!(!d.contains("s3cr3t") && !d.contains("t0ken"), "{d}");
        let loaded = Loaded {
            profile: p,
            warnings: vec![],
        };
        assert!(!format!("{loaded:?}").contains("s3cr3t"));
    }

    /// A config file that other users can read gives a warning naming the fix; 0600 gives none.
    #[cfg(unix)]
    #[test]
    fn warns_when_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let home = temp_home("perm");
        write_config(
            &home,
            r#"{"profiles":[{"name":"p","mode":"AK","access_key_id":"i","access_key_secret":"s"}]}"#,
        );
        let path = default_path(&home);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let l = load(&path, "p").unwrap();
        assert_eq!(l.warnings.len(), 1);
        assert!(l.warnings[0].contains("0644"), "{}", l.warnings[0]);
        assert!(l.warnings[0].contains("chmod 600"), "{}", l.warnings[0]);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(load(&path, "p").unwrap().warnings.is_empty());
    }
}
