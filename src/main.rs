//! `terraform-provider-alicloud`: started by Terraform (see `plugin`); `--debug` runs it
//! unmanaged for attaching Terraform by hand, `--version` prints the version.

use std::process::ExitCode;

use terraform_provider_alicloud::{logging, plugin};

const USAGE: &str = "Usage: terraform-provider-alicloud [--debug | --version]

Terraform starts this binary itself. --debug serves it for TF_REATTACH_PROVIDERS.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let debug = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => false,
        ["--debug"] => true,
        ["--version"] | ["-v"] | ["version"] => {
            println!("terraform-provider-alicloud v{}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        ["--help"] | ["-h"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    logging::init_from_env();
    // One thread: starts fast and keeps RSS small; the provider's work is I/O-bound.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-alicloud: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if debug {
        runtime.block_on(plugin::run::debug())
    } else {
        runtime.block_on(plugin::run::managed())
    }
}
