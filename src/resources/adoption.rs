//! What the creates of one configured provider share so that recovering from a lost answer
//! never takes another resource's backup: the backups and backup sets already claimed, and one
//! create gate per PolarDB-X instance. It lives in the provider's [`Extensions`], owned here.
//!
//! [`Extensions`]: crate::provider::Extensions

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use crate::provider::ProviderData;

#[derive(Default)]
struct Adoption {
    /// `<cluster or instance>:<backup or set ID>` of every backup this provider created or
    /// adopted, so that two creates, recovering from lost answers at once, never adopt the same.
    claimed: Mutex<HashSet<String>>,
    /// One gate per PolarDB-X instance: every CreateBackup call holds it shared (creates run
    /// concurrently), adoption after a lost answer holds it alone, so that every backup set
    /// begun since is then either claimed already or a lost attempt's own.
    gates: Mutex<HashMap<String, Arc<tokio::sync::RwLock<()>>>>,
}

/// Records `key` (`<cluster or instance>:<backup or set ID>`) as taken by a resource; false if
/// it already was.
pub fn claim(provider: &ProviderData, key: &str) -> bool {
    let adoption = provider.extensions.get::<Adoption>();
    let mut claimed = adoption
        .claimed
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    claimed.insert(key.to_string())
}

/// The create gate of one PolarDB-X instance (`<region>:<instance>`).
pub fn create_gate(provider: &ProviderData, instance_key: &str) -> Arc<tokio::sync::RwLock<()>> {
    let adoption = provider.extensions.get::<Adoption>();
    let mut gates = adoption
        .gates
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    gates.entry(instance_key.to_string()).or_default().clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfvalue::Value;

    /// A key is claimed once per configured provider; another provider starts afresh.
    #[test]
    fn claims_once_per_provider() {
        let configure = || crate::provider::configured(&[("region", Value::string("cn-hangzhou"))]);
        let (one, two) = (configure(), configure());
        assert!(claim(&one, "pxc-a:1"));
        assert!(!claim(&one, "pxc-a:1"));
        assert!(claim(&two, "pxc-a:1"));
        let gate = create_gate(&one, "cn-hangzhou:pxc-a");
        assert!(Arc::ptr_eq(&gate, &create_gate(&one, "cn-hangzhou:pxc-a")));
    }
}
