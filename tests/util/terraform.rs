//! Runs the real `terraform` CLI against the built provider through `dev_overrides`: no
//! `terraform init`, no registry, no lock file. Each instance owns a temp working directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

use super::command::TestCommand;
use super::{bin, describe, TempDir};

/// The provider's source as configurations write it (see DESIGN.md, "The provider address").
pub const PROVIDER_SOURCE: &str = "polardb-tools/alicloud";
/// The provider's full address, as dev_overrides and `providers schema -json` name it.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/polardb-tools/alicloud";

/// The variables through which the machine's own credentials (keys, profile, ECS role) could
/// reach the provider; [`Terraform::without_ambient_credentials`] removes them.
pub const AMBIENT_CREDENTIALS: [&str; 8] = [
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALICLOUD_ACCESS_KEY",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALICLOUD_SECRET_KEY",
    "ALIBABA_CLOUD_PROFILE",
    "ALICLOUD_PROFILE",
    "ALIBABA_CLOUD_ECS_METADATA",
    "ALICLOUD_ECS_ROLE_NAME",
];

/// A terraform working directory wired to our provider binary.
pub struct Terraform {
    dir: TempDir,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
}

impl Terraform {
    /// A fresh working directory with a CLI config whose `dev_overrides` point at the directory
    /// of the built `terraform-provider-alicloud`.
    pub fn new(name: &str) -> Terraform {
        let dir = TempDir::new(name);
        let provider = bin("terraform-provider-alicloud");
        let provider_dir = provider.parent().expect("binary has a directory");
        let config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \
             \"{PROVIDER_ADDRESS}\" = {}\n  }}\n  direct {{}}\n}}\n",
            serde_json::Value::from(provider_dir.display().to_string())
        );
        let cli_config = dir.write("terraform.rc", &config);
        // Test HCL names no source; without this the local name `alicloud` would mean
        // hashicorp/alicloud (the official provider's legacy address) and miss the override.
        dir.write(
            "zz_provider_source.tf",
            &format!(
                "terraform {{\n  required_providers {{\n    alicloud = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n"
            ),
        );
        Terraform {
            dir,
            cli_config,
            env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (e.g. `main.tf`) into the working directory.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        self.dir.write(name, contents)
    }

    /// Adds an environment variable for every later command (e.g. credentials, endpoints).
    pub fn env(mut self, key: &str, value: &str) -> Terraform {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// `terraform <args>` in the working directory, with the isolation variables set.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("terraform");
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_PLUGIN_CACHE_DIR");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// The runner for `terraform <args>`: every terraform invocation of the tests goes through
    /// it, so every failure prints the command, directory, output and what was expected.
    pub fn cmd(&self, args: &[&str]) -> TestCommand {
        TestCommand::new(self.command(args))
    }

    /// [`Terraform::cmd`] with [`AMBIENT_CREDENTIALS`] and the variables `also` removed, so that
    /// only the credentials the test gives count.
    pub fn without_ambient_credentials(&self, args: &[&str], also: &[&str]) -> TestCommand {
        let mut run = self.cmd(args);
        for var in AMBIENT_CREDENTIALS.iter().chain(also) {
            run.cmd().env_remove(var);
        }
        run
    }

    /// Runs `terraform <args>` and returns its output, whatever the exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output()
    }

    /// Starts `terraform <args>` with stdout and stderr piped, for a test that signals it.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.cmd(args).spawn()
    }

    /// Runs `terraform <args>`; panics with the full story unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> Output {
        self.cmd(args).ok()
    }

    /// Runs `terraform <args>`; panics with the full story if it succeeds.
    pub fn fail(&self, args: &[&str]) -> Output {
        self.cmd(args).fail()
    }

    /// A human-readable account of a finished command, for assertion messages.
    pub fn describe(&self, args: &[&str], out: &Output) -> String {
        describe(&self.command(args), out)
    }

    pub fn validate(&self) -> Output {
        self.ok(&["validate", "-no-color"])
    }

    pub fn apply(&self) -> Output {
        self.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform apply -refresh-only`: the state takes what Read finds, nothing is changed.
    pub fn refresh_only(&self) -> Output {
        self.ok(&[
            "apply",
            "-refresh-only",
            "-auto-approve",
            "-input=false",
            "-no-color",
        ])
    }

    pub fn destroy(&self) -> Output {
        self.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 2 changes; an error (1) panics.
    pub fn plan_exit_code(&self) -> i32 {
        let out = self
            .cmd(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
            .status_in(&[0, 2], "exit 0 (no changes) or 2 (changes)");
        out.status.code().unwrap_or(-1)
    }

    /// The saved plan as JSON (`plan -out`, then `show -json`).
    pub fn plan_json(&self) -> serde_json::Value {
        self.ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
        self.json(&["show", "-json", "tfplan"])
    }

    /// The current state as JSON.
    pub fn show_json(&self) -> serde_json::Value {
        self.json(&["show", "-json"])
    }

    /// `terraform providers schema -json`.
    pub fn providers_schema_json(&self) -> serde_json::Value {
        self.json(&["providers", "schema", "-json"])
    }

    /// Runs a command that prints JSON and parses its stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        self.cmd(args).json()
    }
}
