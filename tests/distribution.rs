//! Distribution: `scripts/install.sh` and `scripts/release.sh` produce what `terraform init`
//! accepts offline, with no CLI configuration (implied local mirror) or from a packed mirror.
//!
//! Both scripts take `--binary` so these tests package the debug binary cargo already built
//! instead of running a release build. Every terraform command runs with `HTTPS_PROXY` pointing
//! at a closed loopback port: a provider that was not found locally would make `init` fail
//! instead of quietly reaching the registry.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::util::emulator::{self as emu_util, Emulator};
use crate::util::{bin, run_ok, TempDir};

/// The one source address of this provider (see docs/README-draft.md).
const SOURCE: &str = "registry.terraform.io/polardb-tools/alicloud";
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
        .env_remove("TF_CLI_ARGS_init");
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

/// install.sh with a temporary HOME puts the binary in the implied local mirror; `terraform
/// init` of the quickstart then finds it with no CLI config and no network, and the lock file
/// records the provider, its version and the hash of exactly the installed binary.
#[test]
fn install_script_then_init_offline_without_cli_config() {
    let tmp = TempDir::new("dist-install");
    let home = tmp.path().join("home");
    let provider = bin("terraform-provider-alicloud");
    let stdout = run_script(
        "install.sh",
        &home,
        &["--binary", provider.to_str().expect("utf-8 path")],
    );

    let installed = home
        .join(".terraform.d/plugins")
        .join(SOURCE)
        .join(VERSION)
        .join(platform())
        .join(inner_binary_name());
    assert!(
        installed.is_file(),
        "install.sh did not create {}; it said:\n{stdout}",
        installed.display()
    );
    let bytes = std::fs::read(&installed).expect("read installed binary");
    assert_eq!(
        bytes,
        std::fs::read(&provider).expect("read built binary"),
        "installed binary differs from the one given"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&installed)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "installed binary is not executable");
    }

    let cli = empty_cli_config(&tmp);
    let work = quickstart_in(tmp.path());
    run_ok(terraform(&home, &cli, &work).args(["init", "-input=false", "-no-color"]));

    let locked = locked_provider(&work);
    assert_eq!(locked.version, VERSION, "lock file version");
    let expected = h1_of_single_file(&inner_binary_name(), &bytes);
    assert!(
        locked.hashes.contains(&expected),
        "lock file hashes {:?} lack the installed binary's {expected}",
        locked.hashes
    );
}

/// The emulator's endpoints and AccessKey for a terraform command, with the proxy bypassed for
/// loopback only (the registry stays unreachable) and the machine's own credentials removed.
fn against_emulator<'a>(cmd: &'a mut Command, emu: &Emulator) -> &'a mut Command {
    for (var, _) in std::env::vars_os() {
        let name = var.to_string_lossy();
        if name.starts_with("ALICLOUD_") || name.starts_with("ALIBABA_CLOUD_") {
            cmd.env_remove(&var);
        }
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("ALIBABA_CLOUD_ENDPOINT_POLARDB", emu.url())
        .env("ALIBABA_CLOUD_ENDPOINT_POLARDBX", emu.url())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", emu.access_key())
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", emu.secret())
        .env("ALIBABA_CLOUD_REGION", "cn-hangzhou")
        .env("TF_VAR_db_cluster_id", emu_util::CLUSTER)
        .env("TF_VAR_db_instance_name", emu_util::INSTANCE)
}

/// The README's path for real use, end to end: install.sh, then `terraform init` with no CLI
/// config and no network, then the quickstart applies against the emulator through the
/// installed binary (no dev_overrides), its backups exist in the emulator with the IDs in the
/// outputs, a second plan is empty, and destroy deletes the PolarDB backup.
#[test]
fn installed_provider_applies_the_quickstart_against_the_emulator() {
    let emu = Emulator::start_default();
    let tmp = TempDir::new("dist-apply");
    let home = tmp.path().join("home");
    let provider = bin("terraform-provider-alicloud");
    run_script(
        "install.sh",
        &home,
        &["--binary", provider.to_str().expect("utf-8 path")],
    );
    let cli = empty_cli_config(&tmp);
    let work = quickstart_in(tmp.path());
    let tf = |args: &[&str]| {
        let mut cmd = terraform(&home, &cli, &work);
        against_emulator(&mut cmd, &emu).args(args);
        cmd
    };

    run_ok(&mut tf(&["init", "-input=false", "-no-color"]));
    assert_eq!(locked_provider(&work).version, VERSION);
    let out = run_ok(&mut tf(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("development overrides"),
        "apply ran through dev_overrides, not the installed provider:\n{stdout}"
    );

    let out = run_ok(&mut tf(&["output", "-json"]));
    let outputs: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("terraform output -json");
    let polardb_id = outputs["polardb_backup_id"]["value"]
        .as_str()
        .expect("polardb_backup_id output")
        .to_string();
    let polardbx_id = outputs["polardbx_backup_set_id"]["value"]
        .as_str()
        .expect("polardbx_backup_set_id output")
        .to_string();
    assert_eq!(
        outputs["resource_ids"]["value"]["polardb"],
        format!("{}:{polardb_id}", emu_util::CLUSTER)
    );
    assert_eq!(
        outputs["resource_ids"]["value"]["polardbx"],
        format!("cn-hangzhou:{}:{polardbx_id}", emu_util::INSTANCE)
    );
    let backups = emu.backups();
    let find = |product: &str, id: &str| {
        backups
            .as_array()
            .expect("backups list")
            .iter()
            .find(|b| b["product"] == product && b["id"] == id)
            .cloned()
    };
    let pb = find("polardb", &polardb_id).expect("the PolarDB backup exists in the emulator");
    assert_eq!(pb["db_cluster_id"], emu_util::CLUSTER);
    assert_eq!(pb["status"], "Success", "apply waited for completion");
    let px = find("polardbx", &polardbx_id).expect("the PolarDB-X backup set exists");
    assert_eq!(px["db_instance_name"], emu_util::INSTANCE);
    assert_eq!(px["status"], "Success");

    let plan = tf(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
        .output()
        .expect("run terraform plan");
    assert_eq!(
        plan.status.code(),
        Some(0),
        "second plan is not empty:\n{}{}",
        String::from_utf8_lossy(&plan.stdout),
        String::from_utf8_lossy(&plan.stderr)
    );

    run_ok(&mut tf(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]));
    let after = emu.backups();
    let ids: Vec<&serde_json::Value> = after
        .as_array()
        .expect("backups list")
        .iter()
        .filter(|b| b["product"] == "polardb")
        .map(|b| &b["id"])
        .collect();
    assert!(
        ids.is_empty(),
        "destroy left PolarDB backups behind: {ids:?}"
    );
}

/// release.sh writes the zip, the manifest and a SHA256SUMS whose lines match the files'
/// digests; the manifest says protocol 6.0 and equals the repository's copy.
#[test]
fn release_script_writes_zip_manifest_and_matching_sha256sums() {
    let tmp = TempDir::new("dist-release");
    let dist = release_into(&tmp);

    let prefix = format!("terraform-provider-alicloud_{VERSION}");
    let zip_name = format!("{prefix}_{}.zip", platform());
    let manifest_name = format!("{prefix}_manifest.json");
    let sums = std::fs::read_to_string(dist.join(format!("{prefix}_SHA256SUMS")))
        .expect("read SHA256SUMS");

    for name in [&zip_name, &manifest_name] {
        let bytes = std::fs::read(dist.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let line = format!("{}  {name}", sha256_hex(&bytes));
        assert!(
            sums.lines().any(|l| l == line),
            "SHA256SUMS lacks `{line}`:\n{sums}"
        );
    }
    assert_eq!(
        sums.lines().count(),
        2,
        "SHA256SUMS lists extra files:\n{sums}"
    );

    let manifest = std::fs::read_to_string(dist.join(&manifest_name)).expect("read manifest");
    let root_manifest =
        std::fs::read_to_string(repo_root().join("terraform-registry-manifest.json"))
            .expect("read terraform-registry-manifest.json");
    assert_eq!(
        manifest, root_manifest,
        "release manifest differs from the repo's"
    );
    let json: serde_json::Value = serde_json::from_str(&manifest).expect("manifest is JSON");
    assert_eq!(json["version"], 1);
    assert_eq!(
        json["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );

    let zip = std::fs::read(dist.join(&zip_name)).expect("read zip");
    assert_eq!(&zip[..4], b"PK\x03\x04", "not a zip file");
    // Same binary, same bytes: the fixed timestamp makes a rebuilt zip hash the same.
    let again = TempDir::new("dist-release-again");
    let dist2 = release_into(&again);
    assert_eq!(
        zip,
        std::fs::read(dist2.join(&zip_name)).expect("read second zip"),
        "two releases of the same binary produced different zips"
    );
}

/// A packed filesystem mirror made from the release zip: `terraform init` through a
/// `filesystem_mirror` CLI config and `terraform init -plugin-dir` both install from it
/// offline, and `terraform providers lock -fs-mirror` records the package's hash.
#[test]
fn packed_mirror_from_release_zip_inits_offline_and_locks_hashes() {
    let tmp = TempDir::new("dist-mirror");
    let dist = release_into(&tmp);
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("create home");

    let zip_name = format!("terraform-provider-alicloud_{VERSION}_{}.zip", platform());
    let mirror = tmp.path().join("mirror");
    let pkg_dir = mirror.join(SOURCE);
    std::fs::create_dir_all(&pkg_dir).expect("create mirror dir");
    std::fs::copy(dist.join(&zip_name), pkg_dir.join(&zip_name)).expect("copy zip");

    let binary = std::fs::read(bin("terraform-provider-alicloud")).expect("read binary");
    let expected = h1_of_single_file(&inner_binary_name(), &binary);

    // 1. A CLI config with only a filesystem mirror: the registry is not an option.
    let cli = tmp.write(
        "mirror.tfrc",
        &format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [{SOURCE:?}]\n  }}\n}}\n",
            mirror.to_str().expect("utf-8 path")
        ),
    );
    let work = quickstart_in(&tmp.path().join("via-cli-config"));
    run_ok(terraform(&home, &cli, &work).args(["init", "-input=false", "-no-color"]));
    let locked = locked_provider(&work);
    assert_eq!(locked.version, VERSION);
    assert!(
        locked.hashes.contains(&expected),
        "init from the mirror recorded {:?}, expected {expected}",
        locked.hashes
    );
    let unpacked = work
        .join(".terraform/providers")
        .join(SOURCE)
        .join(VERSION)
        .join(platform())
        .join(inner_binary_name());
    assert_eq!(
        std::fs::read(&unpacked).expect("read unpacked provider"),
        binary,
        "the binary terraform unpacked differs from the one released"
    );

    // 2. `terraform init -plugin-dir` with no CLI config at all.
    let empty = empty_cli_config(&tmp);
    let work = quickstart_in(&tmp.path().join("via-plugin-dir"));
    let plugin_dir = format!("-plugin-dir={}", mirror.display());
    run_ok(terraform(&home, &empty, &work).args([
        "init",
        "-input=false",
        "-no-color",
        &plugin_dir,
    ]));
    assert!(locked_provider(&work).hashes.contains(&expected));

    // 3. `terraform providers lock -fs-mirror` without init (it reads no modules, so a root
    // that only requires the provider).
    let work = tmp.path().join("via-lock");
    std::fs::create_dir_all(&work).expect("create dir");
    std::fs::copy(
        repo_root().join("examples/provider/provider.tf"),
        work.join("provider.tf"),
    )
    .expect("copy provider.tf");
    let fs_mirror = format!("-fs-mirror={}", mirror.display());
    let platform_arg = format!("-platform={}", platform());
    run_ok(terraform(&home, &empty, &work).args([
        "providers",
        "lock",
        "-no-color",
        &fs_mirror,
        &platform_arg,
    ]));
    let locked = locked_provider(&work);
    assert_eq!(locked.version, VERSION);
    assert!(
        locked.hashes.contains(&expected),
        "providers lock recorded {:?}, expected {expected}",
        locked.hashes
    );
}

// ---- The shipped examples ----

/// Every example directory (those holding `.tf` files), relative to `examples/`.
fn example_dirs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut has_tf = false;
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read examples dir")
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                // A module called by an example is validated through its caller.
                if p.file_name()
                    .is_some_and(|n| n != "modules" && n != ".terraform")
                {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|e| e == "tf") {
                has_tf = true;
            }
        }
        if has_tf {
            out.push(dir.to_path_buf());
        }
    }
    let mut out = Vec::new();
    walk(&repo_root().join("examples"), &mut out);
    out
}

/// `terraform fmt -check` finds nothing to change in examples/ (what the docs show verbatim).
#[test]
fn examples_are_terraform_fmt_clean() {
    let tmp = TempDir::new("dist-fmt");
    let cli = empty_cli_config(&tmp);
    let examples = repo_root().join("examples");
    let mut cmd = terraform(tmp.path(), &cli, tmp.path());
    cmd.args(["fmt", "-check", "-recursive", "-diff", "-no-color"])
        .arg(&examples);
    run_ok(&mut cmd);
    let dirs = example_dirs();
    assert!(
        dirs.len() >= 6,
        "expected provider, 2 resources, 2 data sources and the quickstart, found {dirs:?}"
    );
}

/// Every example that declares providers names this provider's source address, and every
/// `import.sh` explains its ID format in a comment and imports a resource of its directory.
#[test]
fn examples_use_the_one_source_address_and_document_import_ids() {
    let short = SOURCE.trim_start_matches("registry.terraform.io/");
    for dir in example_dirs() {
        let mut files = vec![];
        for sub in [dir.clone(), dir.join("modules/backups")] {
            if let Ok(rd) = std::fs::read_dir(&sub) {
                files.extend(rd.map(|e| e.expect("entry").path()));
            }
        }
        for f in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        {
            let text = std::fs::read_to_string(f).expect("read example");
            if text.contains("required_providers") {
                assert!(
                    text.contains(&format!("source  = \"{short}\""))
                        || text.contains(&format!("source = \"{short}\"")),
                    "{} declares providers without source = \"{short}\"",
                    f.display()
                );
            }
            assert!(
                !text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .any(|l| l.contains("hashicorp/alicloud")),
                "{} uses hashicorp/alicloud",
                f.display()
            );
        }
    }
    for (kind, id_shape) in [
        ("alicloud_polardb_backup", "<db_cluster_id>:<backup_id>"),
        (
            "alicloud_polardbx_backup",
            "<region_id>:<db_instance_name>:<backup_set_id>",
        ),
    ] {
        let path = repo_root()
            .join("examples/resources")
            .join(kind)
            .join("import.sh");
        let text = std::fs::read_to_string(&path).expect("read import.sh");
        assert!(
            text.lines()
                .any(|l| l.starts_with('#') && l.contains(id_shape)),
            "{} has no comment explaining {id_shape}",
            path.display()
        );
        let cmd = text
            .lines()
            .find(|l| l.starts_with("terraform import "))
            .unwrap_or_else(|| panic!("{} has no terraform import line", path.display()));
        let parts: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(parts.len(), 4, "{cmd}");
        assert!(parts[2].starts_with(&format!("{kind}.")), "{cmd}");
        assert_eq!(
            parts[3].split(':').count(),
            id_shape.split(':').count(),
            "{cmd} does not have the shape {id_shape}"
        );
    }
}

/// Every example passes `terraform validate` with the built provider, through `dev_overrides`
/// keyed by the one source address. Resource and data-source examples carry no `terraform`
/// block (the registry shows them bare), so the test adds one, as a user's root module would.
#[test]
fn examples_validate_with_the_built_provider() {
    let tmp = TempDir::new("dist-validate");
    let provider = bin("terraform-provider-alicloud");
    let provider_dir = provider.parent().expect("binary has a directory");
    let cli = tmp.write(
        "dev.tfrc",
        &format!(
            "provider_installation {{\n  dev_overrides {{\n    {SOURCE:?} = {:?}\n  }}\n  direct {{}}\n}}\n",
            provider_dir.to_str().expect("utf-8 path")
        ),
    );
    let short = SOURCE.trim_start_matches("registry.terraform.io/");
    let examples = repo_root().join("examples");
    for (i, dir) in example_dirs().into_iter().enumerate() {
        let rel = dir.strip_prefix(&examples).expect("under examples/");
        let work = tmp.path().join(format!("ex{i}"));
        copy_dir(&dir, &work);
        let declares = std::fs::read_dir(&work).expect("read copy").any(|e| {
            std::fs::read_to_string(e.expect("entry").path())
                .is_ok_and(|t| t.contains("required_providers"))
        });
        if !declares {
            std::fs::write(
                work.join("zz_versions.tf"),
                format!(
                    "terraform {{\n  required_providers {{\n    alicloud = {{ source = {short:?} }}\n  }}\n}}\n"
                ),
            )
            .expect("write versions");
        }
        let home = tmp.path().join("home");
        if work.join("modules").is_dir() {
            run_ok(terraform(&home, &cli, &work).args(["get", "-no-color"]));
        }
        let mut cmd = terraform(&home, &cli, &work);
        cmd.args(["validate", "-no-color"]);
        let out = cmd.output().expect("run terraform validate");
        assert!(
            out.status.success(),
            "examples/{} does not validate:{}",
            rel.display(),
            crate::util::describe(&cmd, &out)
        );
    }
}

// ---- The README's demo command ----

/// The emulator's pid from the demo's `emulator at URL (pid N)` line.
fn demo_emulator_pid(stdout: &str) -> u32 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("emulator at "))
        .and_then(|l| l.split("(pid ").nth(1))
        .and_then(|p| p.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("the demo did not print the emulator's pid:\n{stdout}"))
}

/// Whether a process with this pid exists (`kill -0`).
fn is_running(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `scripts/demo.sh` (with the binaries cargo built for the tests, so no nested cargo) applies
/// the quickstart against the emulator, shows the outputs, plans no changes, destroys, and
/// exits 0, leaving no emulator process behind.
#[test]
fn demo_script_runs_end_to_end() {
    let tmp = TempDir::new("dist-demo");
    let bin_dir = bin("terraform-provider-alicloud");
    let bin_dir = bin_dir.parent().expect("binary has a directory");
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts/demo.sh"))
        .env("DEMO_BIN_DIR", bin_dir)
        .env("TMPDIR", tmp.path())
        .env_remove("KEEP_DEMO_DIR");
    let out = run_ok(&mut cmd);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "Apply complete! Resources: 2 added",
        "polardb_backup_id = ",
        "polardbx_backup_set_id = ",
        "No changes. Your infrastructure matches the configuration.",
        "Destroy complete! Resources: 2 destroyed.",
    ] {
        assert!(
            stdout.contains(expected),
            "demo output lacks {expected:?}:{}",
            crate::util::describe(&cmd, &out)
        );
    }
    let pid = demo_emulator_pid(&stdout);
    assert!(
        !is_running(pid),
        "the demo left its emulator (pid {pid}) running"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read TMPDIR")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "the demo left files in TMPDIR: {left:?}");
}

/// When a step fails (here a provider binary that cannot start), the demo exits non-zero, says
/// so, and still stops its emulator and removes its work directory.
#[test]
fn demo_script_fails_loudly_and_cleans_up() {
    let tmp = TempDir::new("dist-demo-fail");
    let bins = tmp.path().join("bin");
    std::fs::create_dir_all(&bins).expect("create bin dir");
    std::fs::copy(bin("alicloud-emulator"), bins.join("alicloud-emulator")).expect("copy");
    let fake = tmp.write(
        "bin/terraform-provider-alicloud",
        "#!/bin/sh\necho 'this provider is broken' >&2\nexit 1\n",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let tmpdir = tmp.path().join("tmp");
    std::fs::create_dir_all(&tmpdir).expect("create tmp");
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts/demo.sh"))
        .env("DEMO_BIN_DIR", &bins)
        .env("TMPDIR", &tmpdir)
        .env_remove("KEEP_DEMO_DIR");
    let out = crate::util::run_fail(&mut cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("demo FAILED"),
        "{}",
        crate::util::describe(&cmd, &out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let pid = demo_emulator_pid(&stdout);
    assert!(
        !is_running(pid),
        "the failed demo left its emulator (pid {pid}) running"
    );
    let left = std::fs::read_dir(&tmpdir).expect("read tmp").count();
    assert_eq!(left, 0, "the failed demo left its work directory behind");
}
