//! The Alibaba Cloud regions this provider knows, to refuse a misspelt region before any call.
//!
//! A region missing here is still usable: setting the endpoints explicitly in the provider block
//! skips the check (new regions open more often than this list is updated).

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

/// True when `region` is in [`KNOWN`].
pub fn is_known(region: &str) -> bool {
    KNOWN.contains(&region)
}

#[cfg(test)]
mod tests {
    /// Common regions are known; a typo is not; every entry is well-formed.
    #[test]
    fn known_regions() {
        assert!(super::is_known("cn-hangzhou"));
        assert!(super::is_known("ap-southeast-1"));
        assert!(!super::is_known("cn-hangzou"));
        for r in super::KNOWN {
            assert!(crate::resources::ids::check_region(r).is_ok(), "{r}");
        }
    }
}
