//! `scripts/release.sh --all`: the five platforms' zips in the registry's layout, and GPG
//! signing of SHA256SUMS with a throwaway key.

use std::path::Path;
use std::process::Command;

use crate::util::{bin, run_fail, run_ok, TempDir};

use super::*;

/// The five platforms of a release, as (Rust target, Terraform platform, name inside the zip).
fn platforms() -> Vec<(&'static str, &'static str, String)> {
    let inner = inner_binary_name();
    vec![
        ("x86_64-unknown-linux-gnu", "linux_amd64", inner.clone()),
        ("aarch64-unknown-linux-gnu", "linux_arm64", inner.clone()),
        ("x86_64-apple-darwin", "darwin_amd64", inner.clone()),
        ("aarch64-apple-darwin", "darwin_arm64", inner.clone()),
        (
            "x86_64-pc-windows-gnu",
            "windows_amd64",
            format!("{inner}.exe"),
        ),
    ]
}

/// `release.sh` with `args` and `env`, HOME in `tmp`.
fn release(tmp: &TempDir, args: &[&str], env: &[(&str, &Path)]) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts/release.sh"))
        .args(args)
        .env("HOME", tmp.path().join("home"))
        .env_remove("PROVIDER_BINARY_PATH")
        .env_remove("GPG_FINGERPRINT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// With `--all --prebuilt DIR`, release.sh packs one zip per platform, each holding exactly the
/// file Terraform expects (`.exe` on Windows) with that platform's bytes, and one SHA256SUMS
/// over the five zips and the manifest; `--all` with `--binary` is refused.
#[test]
fn release_all_packs_five_platforms_in_the_registry_layout() {
    let tmp = TempDir::new("dist-all");
    let prebuilt = tmp.path().join("prebuilt");
    for (triple, _, _) in platforms() {
        let suffix = if triple.contains("windows") {
            ".exe"
        } else {
            ""
        };
        let dir = prebuilt.join(triple);
        std::fs::create_dir_all(&dir).expect("create dir");
        std::fs::write(
            dir.join(format!("terraform-provider-alicloud{suffix}")),
            format!("binary for {triple}"),
        )
        .expect("write fake binary");
    }
    let out = tmp.path().join("out");
    run_ok(&mut release(
        &tmp,
        &[
            "--all",
            "--prebuilt",
            prebuilt.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
        &[],
    ));

    let prefix = format!("terraform-provider-alicloud_{VERSION}");
    let sums = std::fs::read_to_string(out.join(format!("{prefix}_SHA256SUMS"))).expect("sums");
    assert_eq!(
        sums.lines().count(),
        6,
        "five zips and the manifest:\n{sums}"
    );
    for (triple, platform, inner) in platforms() {
        let zip_name = format!("{prefix}_{platform}.zip");
        let zip = std::fs::read(out.join(&zip_name)).unwrap_or_else(|e| panic!("{zip_name}: {e}"));
        assert!(
            sums.contains(&format!("{}  {zip_name}", sha256_hex(&zip))),
            "{zip_name} not in SHA256SUMS:\n{sums}"
        );
        let listing = run_ok(Command::new("unzip").arg("-Z1").arg(out.join(&zip_name)));
        assert_eq!(
            String::from_utf8_lossy(&listing.stdout).trim(),
            inner,
            "{zip_name} holds exactly {inner}"
        );
        let content = run_ok(Command::new("unzip").arg("-p").arg(out.join(&zip_name)));
        assert_eq!(
            String::from_utf8_lossy(&content.stdout),
            format!("binary for {triple}")
        );
    }
    assert!(
        !out.join(format!("{prefix}_SHA256SUMS.sig")).exists(),
        "no signature without GPG_FINGERPRINT"
    );

    let refused = run_fail(&mut release(&tmp, &["--all", "--binary", "/bin/true"], &[]));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--prebuilt"));
}

/// The registry's signature: with GPG_FINGERPRINT (a throwaway RSA key in a temp GNUPGHOME),
/// release.sh writes SHA256SUMS.sig, a binary detached signature that gpg verifies, and that
/// fails to verify a SHA256SUMS changed by one byte.
#[test]
fn release_signs_sha256sums_with_gpg_fingerprint() {
    let tmp = TempDir::new("dist-gpg");
    let gnupg = tmp.path().join("gnupg");
    std::fs::create_dir_all(&gnupg).expect("create GNUPGHOME");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    let gpg = |args: &[&str]| {
        let mut cmd = Command::new("gpg");
        cmd.arg("--batch").args(args).env("GNUPGHOME", &gnupg);
        cmd
    };
    run_ok(&mut gpg(&[
        "--passphrase",
        "",
        "--quick-generate-key",
        "Throwaway Release Key <release-test@example.invalid>",
        "rsa2048",
        "sign",
        "1d",
    ]));
    let listed = run_ok(&mut gpg(&["--with-colons", "--list-secret-keys"]));
    let fingerprint = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|rest| rest.trim_matches(':').to_string())
        .expect("a fingerprint");
    assert_eq!(fingerprint.len(), 40, "{fingerprint}");

    let out = tmp.path().join("out");
    let provider = bin("terraform-provider-alicloud");
    let mut cmd = release(
        &tmp,
        &[
            "--binary",
            provider.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
        &[("GNUPGHOME", &gnupg)],
    );
    cmd.env("GPG_FINGERPRINT", &fingerprint);
    run_ok(&mut cmd);

    let sums = out.join(format!("terraform-provider-alicloud_{VERSION}_SHA256SUMS"));
    let sig = out.join(format!(
        "terraform-provider-alicloud_{VERSION}_SHA256SUMS.sig"
    ));
    let sig_bytes = std::fs::read(&sig).expect("SHA256SUMS.sig written");
    assert!(
        !sig_bytes.starts_with(b"-----BEGIN"),
        "the registry wants a binary signature, not an armored one"
    );
    let verified = run_ok(&mut gpg(&[
        "--verify",
        sig.to_str().expect("utf-8"),
        sums.to_str().expect("utf-8"),
    ]));
    assert!(
        String::from_utf8_lossy(&verified.stderr).contains(&fingerprint[24..]),
        "made by the given key"
    );

    let mut tampered = std::fs::read(&sums).expect("read sums");
    tampered[0] ^= 1;
    let changed = tmp.write("tampered_SHA256SUMS", "");
    std::fs::write(&changed, tampered).expect("write tampered");
    run_fail(&mut gpg(&[
        "--verify",
        sig.to_str().expect("utf-8"),
        changed.to_str().expect("utf-8"),
    ]));

    let mut bad = release(
        &tmp,
        &[
            "--binary",
            provider.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
        &[("GNUPGHOME", &gnupg)],
    );
    bad.env(
        "GPG_FINGERPRINT",
        "0000000000000000000000000000000000000000",
    );
    let failed = run_fail(&mut bad);
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("could not sign"),
        "an unknown key is a clear error"
    );
}
