//! Identifier formats: PolarDB cluster IDs, PolarDB-X instance names, backup IDs, regions, and
//! the composite resource IDs used in state and by `terraform import`.
//!
//! Checking formats at plan time catches a pasted wrong-product ID (an `rm-` RDS ID, a `pxc-`
//! name in a PolarDB resource) before any API call, with a message that shows the right shape.

/// A product's ID prefix and what its IDs are called.
type Kind = (&'static str, &'static str);

const CLUSTER: Kind = ("pc-", "a PolarDB cluster ID");
const INSTANCE: Kind = ("pxc-", "a PolarDB-X 2.0 instance name");

/// What follows the prefix of `kind` in `id`; an ID of the `other` kind (pasted from the
/// wrong product) is named as such.
fn after_prefix(id: &str, kind: Kind, other: Kind) -> Result<&str, String> {
    let ((prefix, what), (other_prefix, other_what)) = (kind, other);
    id.strip_prefix(prefix).ok_or_else(|| {
        if id.starts_with(other_prefix) {
            format!("\"{id}\" is {other_what}, not {what}.")
        } else {
            format!("\"{id}\" is not {what}: it must start with \"{prefix}\".")
        }
    })
}

/// A PolarDB cluster ID: `pc-` followed by lowercase letters and digits.
pub fn check_cluster_id(id: &str) -> Result<(), String> {
    let rest = after_prefix(id, CLUSTER, INSTANCE)?;
    if rest.is_empty() || rest.len() > 60 {
        return Err(format!(
            "\"{id}\" is not a PolarDB cluster ID: \"pc-\" must be followed by 1 to 60 characters."
        ));
    }
    if !rest
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err(format!(
            "\"{id}\" is not a PolarDB cluster ID: after \"pc-\" only lowercase letters and digits are allowed."
        ));
    }
    Ok(())
}

/// A PolarDB-X 2.0 instance name: `pxc-` followed by lowercase letters, digits and inner hyphens.
pub fn check_instance_name(name: &str) -> Result<(), String> {
    let rest = after_prefix(name, INSTANCE, CLUSTER)?;
    let shape_ok = !rest.is_empty()
        && rest.len() <= 60
        && !rest.starts_with('-')
        && !rest.ends_with('-')
        && rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !shape_ok {
        return Err(format!(
            "\"{name}\" is not a PolarDB-X 2.0 instance name: after \"pxc-\" use 1 to 60 lowercase \
             letters, digits or inner hyphens."
        ));
    }
    Ok(())
}

/// A backup ID or backup set ID as the APIs return them (digits in practice; letters,
/// `-` and `_` tolerated).
pub fn check_backup_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{id}\" is not a backup ID: use the ID the API returned (usually digits)."
        ))
    }
}

// The region check lives with the regions (`provider::regions`), the one check for every place
// a region builds a host name.
pub use crate::provider::regions::check_region;

/// The ID of an `alicloud_polardb_backup`: `<db_cluster_id>:<backup_id>`.
pub fn polardb_backup_id(cluster: &str, backup: &str) -> String {
    format!("{cluster}:{backup}")
}

/// Splits `<db_cluster_id>:<backup_id>` (the resource ID and the import ID).
pub fn parse_polardb_backup_id(id: &str) -> Result<(String, String), String> {
    let parts: Vec<&str> = id.split(':').collect();
    let [cluster, backup] = parts.as_slice() else {
        return Err(format!(
            "\"{id}\" is not a PolarDB backup ID: use \"<db_cluster_id>:<backup_id>\", e.g. \
             \"pc-bp1abc2def3gh4ijk:1234567890\"."
        ));
    };
    check_cluster_id(cluster)?;
    check_backup_id(backup)?;
    Ok((cluster.to_string(), backup.to_string()))
}

/// The ID of an `alicloud_polardbx_backup`: `<region_id>:<db_instance_name>:<backup_set_id>`.
pub fn polardbx_backup_id(region: &str, instance: &str, set: &str) -> String {
    format!("{region}:{instance}:{set}")
}

/// Splits `<region_id>:<db_instance_name>:<backup_set_id>`.
pub fn parse_polardbx_backup_id(id: &str) -> Result<(String, String, String), String> {
    let parts: Vec<&str> = id.split(':').collect();
    let [region, instance, set] = parts.as_slice() else {
        return Err(format!(
            "\"{id}\" is not a PolarDB-X backup ID: use \
             \"<region_id>:<db_instance_name>:<backup_set_id>\", e.g. \
             \"cn-hangzhou:pxc-hzabc123:627833\"."
        ));
    };
    check_region(region)?;
    check_instance_name(instance)?;
    check_backup_id(set)?;
    Ok((region.to_string(), instance.to_string(), set.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real-looking cluster IDs and instance names pass (names with inner hyphens); the other
    /// product's IDs are named as such; other prefixes, bad characters and dangling hyphens
    /// are refused.
    #[test]
    fn cluster_ids_and_instance_names() {
        // (check, good, the other product's ID, what its problem names, bad)
        type Case = (
            fn(&str) -> Result<(), String>,
            &'static [&'static str],
            &'static str,
            &'static str,
            &'static [&'static str],
        );
        let cases: [Case; 2] = [
            (
                check_cluster_id,
                &["pc-bp1abc2def3gh4ijk", "pc-1"],
                "pxc-abc",
                "PolarDB-X",
                &[
                    "",
                    "pc-",
                    "rm-bp1abc",
                    "pc-ABC",
                    "pc-a_b",
                    "pc-a b",
                    " pc-abc",
                ],
            ),
            (
                check_instance_name,
                &["pxc-hzabc123", "pxc-xdb-abc1"],
                "pc-abc",
                "PolarDB cluster",
                &["", "pxc-", "pxc--a", "pxc-a-", "pxc-A1", "drds-abc"],
            ),
        ];
        for (check, good, other_product, named, bad) in cases {
            for id in good {
                assert!(check(id).is_ok(), "{id:?}");
            }
            let problem = check(other_product).unwrap_err();
            assert!(problem.contains(named), "{problem}");
            for id in bad {
                assert!(check(id).is_err(), "{id:?}");
            }
        }
    }

    /// Regions have lowercase hyphenated words.
    #[test]
    fn regions() {
        for ok in [
            "cn-hangzhou",
            "ap-southeast-1",
            "cn-shanghai-finance-1",
            "us-east-1",
        ] {
            assert!(check_region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "hangzhou",
            "CN-hangzhou",
            "cn_hangzhou",
            "cn-",
            "-cn",
            "c-x",
        ] {
            assert!(check_region(bad).is_err(), "{bad:?}");
        }
    }

    /// Composite IDs round-trip, and wrong shapes explain the expected form.
    #[test]
    fn composite_ids() {
        let id = polardb_backup_id("pc-abc", "123");
        assert_eq!(
            parse_polardb_backup_id(&id),
            Ok(("pc-abc".into(), "123".into()))
        );
        assert!(parse_polardb_backup_id("pc-abc")
            .unwrap_err()
            .contains("<db_cluster_id>:<backup_id>"));
        assert!(parse_polardb_backup_id("pc-abc:").is_err());
        assert!(parse_polardb_backup_id("pc-abc:1:2").is_err());

        let id = polardbx_backup_id("cn-hangzhou", "pxc-abc", "627833");
        assert_eq!(
            parse_polardbx_backup_id(&id),
            Ok(("cn-hangzhou".into(), "pxc-abc".into(), "627833".into()))
        );
        assert!(parse_polardbx_backup_id("pxc-abc:627833").is_err());
        assert!(parse_polardbx_backup_id("cn-hangzhou:pc-abc:1").is_err());
    }
}
