//! The harness's own rules, checked on the text of `tests/`: no test module imports another
//! (shared helpers live in `tests/util/`), and every test says its scenario in a `///` line.

use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// The paths through which `text` (a test module outside `tests/util/`) reaches another test
/// module: `crate::NAME` with NAME not `util`, or, in a top-level module, `super::NAME`.
fn foreign_imports(text: &str, top_level: bool) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for (prefix, applies) in [("crate::", true), ("super::", top_level)] {
            if !applies {
                continue;
            }
            for (at, _) in code.match_indices(prefix) {
                let name: String = code[at + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if name != "util" && !name.is_empty() {
                    found.push(format!("line {}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    found
}

/// The names of the tests in `text` whose attributes are not preceded by a `///` line.
fn undocumented_tests(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if *line != "#[test]" && !line.starts_with("#[tokio::test") {
            continue;
        }
        let mut j = i;
        while j > 0 && lines[j - 1].starts_with("#[") {
            j -= 1;
        }
        if j == 0 || !lines[j - 1].starts_with("///") {
            let name = lines[i..]
                .iter()
                .find(|l| l.contains("fn "))
                .copied()
                .unwrap_or("?");
            found.push(format!("line {}: {name}", i + 1));
        }
    }
    found
}

/// No test module imports another: helpers shared by modules live in `tests/util/` only.
#[test]
fn no_test_module_imports_another() {
    let dir = tests_dir();
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in rust_files(&dir) {
        let rel = file.strip_prefix(&dir).unwrap_or(&file);
        if rel.starts_with("util") || rel == Path::new("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let top_level = rel.components().count() == 1;
        for hit in foreign_imports(&text, top_level) {
            problems.push(format!("{}: {hit}", rel.display()));
        }
        checked += 1;
    }
    assert!(
        checked >= 20,
        "only {checked} test modules found in {}",
        dir.display()
    );
    assert!(
        problems.is_empty(),
        "test modules import other test modules; move the helper into tests/util/:\n{}",
        problems.join("\n")
    );
}

/// Every test in `tests/` starts with a `///` line that says its scenario.
#[test]
fn every_test_says_its_scenario() {
    let dir = tests_dir();
    let mut problems = Vec::new();
    for file in rust_files(&dir) {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        for hit in undocumented_tests(&text) {
            problems.push(format!("{}: {hit}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "tests without a `///` line saying their scenario:\n{}",
        problems.join("\n")
    );
}

/// The two checks see what they look for: an import of a sibling module, and a test with no
/// `///` line, each in a made-up module text.
#[test]
fn the_text_checks_catch_what_they_look_for() {
    // Split so that this file's own text holds no import of a sibling module.
    let text = concat!(
        "use crate::util::state::calls;\nuse crate",
        "::resources::terraform;\nfn f() { super",
        "::protocol::start(); }\n// crate::other in a comment\n"
    );
    let hits = foreign_imports(text, true);
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(hits[0].contains("::resources::terraform"), "{hits:?}");
    assert!(hits[1].contains("::protocol::start"), "{hits:?}");
    assert!(foreign_imports(concat!("use super", "::helpers;\n"), false).is_empty());

    let text = "/// Says it.\n#[test]\nfn a() {}\n\n#[test]\n#[ignore]\nfn b() {}\n\
                /// Says it.\n#[tokio::test]\n#[should_panic]\nasync fn c() {}\n";
    let hits = undocumented_tests(text);
    assert_eq!(hits, vec!["line 5: fn b() {}".to_string()]);
}
