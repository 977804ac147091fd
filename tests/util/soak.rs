//! The soak's set-up, shared by the soak test and its census: the seeds, an emulator with ten
//! clusters and ten instances under every fault at once and an account-wide rate limit, and a
//! configuration of 30 PolarDB backups (three per cluster, the quota) and 30 PolarDB-X backup
//! sets.

use super::config::{credentials_args, terraform_with};
use super::emulator::Emulator;
use super::terraform::Terraform;

/// The seeds run when `SOAK_SEEDS` is not set.
pub const DEFAULT_SEEDS: [u64; 3] = [7, 11, 23];

/// The fault mix of every action: throttling, server errors, lost answers and latency. Most
/// throttles come from [`RATE_LIMIT`], as a real account's do (`Throttling.User` is flow
/// control: a rate); the random ones are a sprinkling at any moment of any call. A share of
/// random throttles above the pacer's sparse share (a tenth) would look like a limit shared
/// with busier clients and pace the soak down to a request or two a second.
pub const FAULTS: &str = "*:throttle_rate=0.05,server_error_rate=0.05,drop_after_commit_rate=0.03,latency_ms_min=0,latency_ms_max=300";

/// The account's flow control, requests per second per action: Terraform's parallelism of 20
/// sends more than that at first.
pub const RATE_LIMIT: &str = "10";

/// How many backups the soak configuration makes (both products).
pub const BACKUPS: usize = 60;

/// The arguments of the soak's apply and destroy.
pub const PARALLEL: [&str; 4] = [
    "-auto-approve",
    "-input=false",
    "-no-color",
    "-parallelism=20",
];

/// The seeds `SOAK_SEEDS` names (e.g. `1,2,3`), or [`DEFAULT_SEEDS`] when it is unset; a value
/// that names no seed, or anything but numbers, fails the test rather than running nothing.
pub fn seeds() -> Vec<u64> {
    parse_seeds(std::env::var("SOAK_SEEDS").ok().as_deref()).unwrap_or_else(|e| panic!("{e}"))
}

/// [`seeds`] for a given value of `SOAK_SEEDS`.
pub fn parse_seeds(var: Option<&str>) -> Result<Vec<u64>, String> {
    let Some(list) = var else {
        return Ok(DEFAULT_SEEDS.to_vec());
    };
    let seeds = list
        .split(',')
        .map(|n| {
            n.trim().parse().map_err(|_| {
                format!("SOAK_SEEDS={list:?}: {n:?} is not a seed; give numbers, e.g. 1,2,3")
            })
        })
        .collect::<Result<Vec<u64>, String>>()?;
    if seeds.is_empty() {
        return Err(format!(
            "SOAK_SEEDS={list:?} names no seed; give numbers, e.g. 1,2,3"
        ));
    }
    Ok(seeds)
}

/// A soak ready to apply: the emulator under [`FAULTS`] with `seed`, and a terraform directory
/// named `{name}-{seed}` holding the configuration.
pub struct Soak {
    pub seed: u64,
    pub emu: Emulator,
    pub tf: Terraform,
}

impl Soak {
    pub fn new(name: &str, seed: u64) -> Soak {
        let clusters: Vec<String> = (1..=10).map(|i| format!("pc-soak{i:04}")).collect();
        let instances: Vec<String> = (1..=10).map(|i| format!("pxc-soak{i:04}")).collect();
        let mut args: Vec<String> = vec!["--backup-duration".into(), "300ms".into()];
        for c in &clusters {
            args.extend(["--cluster".to_string(), c.clone()]);
        }
        for i in &instances {
            args.extend(["--instance".to_string(), i.clone()]);
        }
        args.extend([
            "--fault".to_string(),
            FAULTS.to_string(),
            "--seed".to_string(),
            seed.to_string(),
            "--rate-limit".to_string(),
            RATE_LIMIT.to_string(),
        ]);
        let emu = Emulator::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let list = |v: &[String]| {
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let config = format!(
            r#"
locals {{
  clusters  = [{clusters}]
  instances = [{instances}]
  polardb   = {{ for pair in setproduct(local.clusters, [1, 2, 3]) : "${{pair[0]}}-${{pair[1]}}" => pair[0] }}
  polardbx  = {{ for pair in setproduct(local.instances, [1, 2, 3]) : "${{pair[0]}}-${{pair[1]}}" => pair[0] }}
}}

resource "alicloud_polardb_backup" "b" {{
  for_each      = local.polardb
  db_cluster_id = each.value
}}

resource "alicloud_polardbx_backup" "x" {{
  for_each         = local.polardbx
  db_instance_name = each.value
}}
"#,
            clusters = list(&clusters),
            instances = list(&instances)
        );
        let tf = terraform_with(
            &format!("{name}-{seed}"),
            &emu,
            &credentials_args(&emu, "20s"),
            &config,
        );
        Soak { seed, emu, tf }
    }

    /// `terraform apply` of a soak directory with 20 in parallel.
    pub fn apply_in(tf: &Terraform) {
        tf.ok(&[&["apply"][..], &PARALLEL[..]].concat());
    }

    /// `terraform destroy` of a soak directory with 20 in parallel.
    pub fn destroy_in(tf: &Terraform) {
        tf.ok(&[&["destroy"][..], &PARALLEL[..]].concat());
    }
}

/// `SOAK_SEEDS=x` (or empty, or `1,x`) is refused with a message naming the variable; unset
/// runs the three default seeds; numbers with spaces are read.
#[test]
fn soak_seeds_refuse_what_names_no_seed() {
    for bad in ["x", "", "1,x", "1,,2"] {
        let err = parse_seeds(Some(bad)).expect_err(bad);
        assert!(err.contains("SOAK_SEEDS="), "{bad:?}: {err}");
    }
    assert_eq!(parse_seeds(None), Ok(DEFAULT_SEEDS.to_vec()));
    assert_eq!(parse_seeds(Some(" 1, 2 ")), Ok(vec![1, 2]));
}
