//! Secrets in every output Terraform produces: with the secret key and an STS token in the
//! environment or in the provider block, at `TF_LOG=trace`, no command output, state file, plan
//! or diagnostic holds them. See docs/reliability.md.

use crate::util::config::{terraform_with, ONE_OF_EACH};
use crate::util::emulator::Emulator;
use crate::util::text;

const SECRET: &str = "Rel1abilitySecretKeyValue";
const TOKEN: &str = "CAISreliabilityStsTokenValue0123456789";
const WRONG_SECRET: &str = "Wr0ngSecretKeyValueForTest";

/// Asserts none of the credentials (nor a panic) appears in `what`.
fn assert_clean(label: &str, what: &str) {
    for secret in [SECRET, TOKEN, WRONG_SECRET] {
        assert!(
            !what.contains(secret),
            "{label}: a credential leaked ({secret})"
        );
    }
    assert!(!what.contains("panicked"), "{label}: panic output:\n{what}");
}

/// With the secret key and an STS security token given either in the environment or as
/// literals in the provider block, at `TF_LOG=trace`: neither appears in any command's output
/// (plan, apply, show, refresh, destroy), `terraform show -json`, the state file and its backup,
/// nor the diagnostics and trace of an apply failing on a wrong secret; no output mentions a
/// panic; the token was really sent (the emulator logs it, redacted). From the environment,
/// the saved plan and its JSON are clean too. Literals in the block are copied by Terraform
/// itself into the plan file and into the plan JSON's `configuration.provider_config` (as
/// every provider's are): the test pins that this is the only place.
#[test]
fn secrets_never_leak_anywhere() {
    let key = format!("LTAIrelia:{SECRET}");
    let emu = Emulator::start_one_each("300ms", &["--access-key", &key]);
    let in_block = format!(
        "  access_key = \"LTAIrelia\"\n  secret_key = \"{SECRET}\"\n  security_token = \"{TOKEN}\""
    );
    let variants = [
        (
            false,
            terraform_with(
                "leak-env",
                &emu,
                "  access_key = \"LTAIrelia\"",
                ONE_OF_EACH,
            )
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
            .env("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN),
        ),
        (
            true,
            terraform_with("leak-block", &emu, &in_block, ONE_OF_EACH),
        ),
    ];
    let mut checked = 0;
    for (literal, tf) in variants {
        let tf = tf.env("TF_LOG", "trace");
        let mut outputs = vec![
            (
                "plan",
                tf.ok(&["plan", "-input=false", "-no-color", "-out=tfplan"]),
            ),
            ("show plan", tf.ok(&["show", "-no-color", "tfplan"])),
            (
                "apply",
                tf.ok(&["apply", "-input=false", "-no-color", "tfplan"]),
            ),
            ("show", tf.ok(&["show", "-no-color"])),
            ("show -json", tf.ok(&["show", "-json"])),
            (
                "refresh plan",
                tf.ok(&["plan", "-input=false", "-no-color", "-refresh-only"]),
            ),
        ];
        let mut plan_json = tf.json(&["show", "-json", "tfplan"]);
        assert!(plan_json["resource_changes"].is_array(), "no plan JSON");
        if literal {
            let config = plan_json["configuration"]["provider_config"].take();
            assert!(
                config.to_string().contains(SECRET),
                "Terraform changed: {config}"
            );
        } else {
            let plan_file = std::fs::read(tf.path().join("tfplan")).expect("tfplan");
            assert_clean("plan file", &String::from_utf8_lossy(&plan_file));
        }
        assert_clean("show -json plan", &plan_json.to_string());
        // The trace really holds the provider's own API log lines, so the check has teeth.
        assert!(
            text(&outputs[2].1).contains("alicloud API attempt succeeded"),
            "no provider trace in the apply output"
        );
        outputs.push(("destroy", tf.destroy()));
        for (label, out) in &outputs {
            assert_clean(label, &text(out));
            checked += 1;
        }
        for file in ["terraform.tfstate", "terraform.tfstate.backup"] {
            let bytes = std::fs::read(tf.path().join(file)).expect("state file");
            assert_clean(file, &String::from_utf8_lossy(&bytes));
            checked += 1;
        }
        checked += 2;
    }
    let log = emu.requests();
    let sent_token = log.as_array().is_some_and(|l| {
        !l.is_empty()
            && l.iter()
                .all(|r| r["params"]["SecurityToken"] == "<redacted>")
    });
    assert!(sent_token, "the token was not sent on every call: {log}");

    // A wrong secret with a token: refused with a clear diagnostic that quotes neither.
    let wrong = format!(
        "  access_key = \"LTAIrelia\"\n  secret_key = \"{WRONG_SECRET}\"\n  security_token = \"{TOKEN}\""
    );
    let tf = terraform_with("leak-wrong", &emu, &wrong, ONE_OF_EACH).env("TF_LOG", "trace");
    let out = tf.fail(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let all = text(&out);
    assert!(all.contains("credentials were refused"), "{all}");
    assert_clean("failing apply", &all);
    eprintln!("secret checks: {} outputs and files clean", checked + 1);
}
