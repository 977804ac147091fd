//! The shipped examples: `terraform fmt` clean, one source address, import IDs explained, and
//! valid against the built provider.

use std::path::{Path, PathBuf};

use crate::util::{bin, run_ok, TempDir};

use super::*;

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

/// Every ```terraform block in docs/ (and the README draft) is `terraform fmt` clean, so what
/// readers copy is valid Terraform in canonical form. (```hcl marks CLI configuration, whose
/// quoted keys the Terraform language, and so `fmt`, refuses.)
#[test]
fn doc_code_blocks_are_terraform_fmt_clean() {
    let tmp = TempDir::new("dist-doc-fmt");
    let mut pages = Vec::new();
    let mut stack = vec![repo_root().join("docs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read docs dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "md") {
                pages.push(p);
            }
        }
    }
    pages.sort();
    let mut written = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).expect("read page");
        let mut block: Option<String> = None;
        for line in text.lines() {
            match (&mut block, line.trim_end()) {
                (None, "```terraform") => block = Some(String::new()),
                (Some(b), "```") => {
                    let rel = page.strip_prefix(repo_root()).expect("under repo");
                    let name = format!("block{}.tf", written.len());
                    let path = tmp.write(&name, b);
                    written.push((path, format!("{} block {}", rel.display(), written.len())));
                    block = None;
                }
                (Some(b), _) => {
                    b.push_str(line);
                    b.push('\n');
                }
                (None, _) => {}
            }
        }
        assert!(
            block.is_none(),
            "{} has an unclosed code block",
            page.display()
        );
    }
    assert!(
        written.len() >= 10,
        "found only {} HCL blocks in docs/",
        written.len()
    );
    let cli = empty_cli_config(&tmp);
    for (path, what) in &written {
        let mut cmd = terraform(tmp.path(), &cli, tmp.path());
        cmd.args(["fmt", "-check", "-diff", "-no-color"]).arg(path);
        let out = cmd.output().expect("run terraform fmt");
        assert!(
            out.status.success(),
            "{what} is not terraform fmt clean:{}",
            crate::util::describe(&cmd, &out)
        );
    }
}
