//! Regions: the one well-formedness check for every place a region goes into a host name, and
//! the regions this provider knows, to refuse a misspelt region before any call.
//!
//! [`check_region`] guards every host built from a region (the provider block, a resource's
//! `region_id`, an ID read from state or given to import), so no value can send signed requests
//! to another host. A region missing from [`KNOWN`] is still usable: setting the endpoints
//! explicitly in the provider block skips that check (new regions open more often than this
//! list is updated).

/// Public region IDs (mainland China, finance and international).
pub const KNOWN: &[&str] = &[
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-wulanchabu",
    "cn-hangzhou",
    "cn-shanghai",
    "cn-nanjing",
    "cn-fuzhou",
    "cn-shenzhen",
    "cn-heyuan",
    "cn-guangzhou",
    "cn-chengdu",
    "cn-wuhan-lr",
    "cn-hongkong",
    "cn-shanghai-finance-1",
    "cn-shenzhen-finance-1",
    "cn-beijing-finance-1",
    "cn-hangzhou-finance",
    "cn-north-2-gov-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-south-1",
    "us-east-1",
    "us-west-1",
    "eu-west-1",
    "eu-central-1",
    "me-east-1",
    "me-central-1",
    "na-south-1",
];

/// A region ID such as `cn-hangzhou` or `ap-southeast-1`: lowercase words joined by hyphens.
pub fn check_region(region: &str) -> Result<(), String> {
    let mut parts = region.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| p.len() >= 2 && p.bytes().all(|b| b.is_ascii_lowercase()));
    let rest: Vec<&str> = parts.collect();
    let rest_ok = !rest.is_empty()
        && rest.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if first_ok && rest_ok && region.len() <= 40 {
        Ok(())
    } else {
        Err(format!(
            "\"{region}\" is not a region ID: use the form \"cn-hangzhou\" or \"ap-southeast-1\"."
        ))
    }
}

/// True when `region` is in [`KNOWN`].
pub fn is_known(region: &str) -> bool {
    KNOWN.contains(&region)
}

#[cfg(test)]
mod tests {
    /// Common regions are known; a typo is not; every entry is well-formed; a value that would
    /// change the host (dots, slashes, capitals) is refused.
    #[test]
    fn known_regions() {
        assert!(super::is_known("cn-hangzhou"));
        assert!(super::is_known("ap-southeast-1"));
        assert!(!super::is_known("cn-hangzou"));
        for bad in [
            "cn-hangzhou.evil.com",
            "cn-hangzhou/x",
            "CN-hangzhou",
            "cn",
            "a-b",
            "cn-",
            "",
        ] {
            assert!(super::check_region(bad).is_err(), "{bad:?}");
        }
        for r in super::KNOWN {
            assert!(super::check_region(r).is_ok(), "{r}");
        }
    }
}
