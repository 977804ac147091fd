//! `scripts/release.sh`: the registry's zip, SHA256SUMS and manifest, and a packed filesystem
//! mirror made from them.

use crate::util::{bin, run_ok, TempDir};

use super::*;

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
