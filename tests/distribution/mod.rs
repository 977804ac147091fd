//! What we ship, checked with the real `terraform`: `scripts/install.sh` and
//! `scripts/release.sh` produce what `terraform init` accepts offline (implied local mirror,
//! packed mirror), the examples are formatted and valid, and `scripts/demo.sh` works.
//!
//! Both scripts take `--binary` so these tests package the debug binary cargo already built
//! instead of running a release build. Every terraform command runs with `HTTPS_PROXY` pointing
//! at a closed loopback port: a provider that was not found locally would make `init` fail
//! instead of quietly reaching the registry.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::util::{bin, run_ok, TempDir};

// The README's demo command, passing and failing.
mod demo;
// The examples: fmt, one source address, import ID comments, validate.
mod examples;
// install.sh, offline init with no CLI config, and an apply through the installed provider.
mod install;
// release.sh: zip, SHA256SUMS, manifest, packed mirror, providers lock.
mod release;
// release.sh --all (five platforms' zips) and GPG signing of SHA256SUMS.
mod platforms;
// The Windows build under wine (ignored here; scripts/cross-check.sh windows_amd64 runs it).
mod windows;

/// The one source address of this provider (see DESIGN.md).
use crate::util::terraform::PROVIDER_ADDRESS as SOURCE;
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Terraform's `<os>_<arch>` for the machine running the tests.
fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// The file name Terraform expects inside the package directory or zip.
fn inner_binary_name() -> String {
    format!("terraform-provider-alicloud_v{VERSION}")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Terraform's `h1:` package hash of a package holding the single file `name` with `bytes`
/// (the same for the unpacked directory and the zip): SHA-256 over the sorted
/// `<sha256 hex>  <name>\n` lines, base64-encoded.
fn h1_of_single_file(name: &str, bytes: &[u8]) -> String {
    let summary = format!("{}  {name}\n", sha256_hex(bytes));
    let digest = Sha256::digest(summary.as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// A terraform command isolated from the machine: its own HOME, CLI config, data dirs, no
/// checkpoint calls, and no way out to the network.
fn terraform(home: &Path, cli_config: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new("terraform");
    cmd.current_dir(dir)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env_remove("TF_PLUGIN_CACHE_DIR")
        .env_remove("TF_CLI_ARGS")
        .env_remove("TF_CLI_ARGS_init")
        .env_remove("TF_DATA_DIR")
        .env_remove("TF_WORKSPACE")
        .env_remove("TF_REATTACH_PROVIDERS");
    cmd
}

/// Copies `from` into `to` recursively, leaving out Terraform's working files.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str == ".terraform"
            || name_str.ends_with(".tfstate")
            || name_str == ".terraform.lock.hcl"
        {
            continue;
        }
        let src = entry.path();
        if src.is_dir() {
            copy_dir(&src, &to.join(&name));
        } else {
            std::fs::copy(&src, to.join(&name)).expect("copy file");
        }
    }
}

/// The quickstart example copied into `dir`, so `terraform init` writes nothing in the repo.
fn quickstart_in(dir: &Path) -> PathBuf {
    let dest = dir.join("quickstart");
    copy_dir(&repo_root().join("examples/quickstart"), &dest);
    dest
}

/// What the lock file says about this provider: its version and its hashes.
struct LockedProvider {
    version: String,
    hashes: Vec<String>,
}

/// Reads the `provider "<SOURCE>"` block of `.terraform.lock.hcl` in `dir`.
fn locked_provider(dir: &Path) -> LockedProvider {
    let path = dir.join(".terraform.lock.hcl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no lock file at {}: {e}", path.display()));
    let header = format!("provider \"{SOURCE}\" {{");
    let start = text
        .find(&header)
        .unwrap_or_else(|| panic!("lock file does not record {SOURCE}:\n{text}"));
    let block = &text[start..];
    let block = &block[..block.find("\n}").unwrap_or(block.len())];
    let mut version = String::new();
    let mut hashes = Vec::new();
    for line in block.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("version") {
            version = rest
                .trim_start()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"')
                .to_string();
        } else if line.starts_with("\"h1:") || line.starts_with("\"zh:") {
            hashes.push(line.trim_end_matches(',').trim_matches('"').to_string());
        }
    }
    LockedProvider { version, hashes }
}

/// An empty CLI configuration: the machine exports TF_CLI_CONFIG_FILE pointing at a missing
/// file, and "no CLI config" must mean Terraform's defaults, not that warning.
fn empty_cli_config(tmp: &TempDir) -> PathBuf {
    tmp.write("empty.tfrc", "")
}

/// Runs `scripts/<name>` with `args`, HOME set to `home`.
fn run_script(name: &str, home: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts").join(name))
        .args(args)
        .env("HOME", home)
        .env_remove("PROVIDER_BINARY_PATH");
    let out = run_ok(&mut cmd);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Builds the release artifacts of the test binary into `<tmp>/dist` and returns that dir.
fn release_into(tmp: &TempDir) -> PathBuf {
    let dist = tmp.path().join("dist");
    let provider = bin("terraform-provider-alicloud");
    run_script(
        "release.sh",
        &tmp.path().join("home"),
        &[
            "--binary",
            provider.to_str().expect("utf-8 path"),
            "--out",
            dist.to_str().expect("utf-8 path"),
        ],
    );
    dist
}
