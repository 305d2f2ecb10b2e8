//! The rules live in the repository: every rule id the code cites (R1–R20, B1–B9) has its section
//! in `docs/rules.md`, and the code cites no document a person who clones the repository cannot
//! open.

use std::path::{Path, PathBuf};

/// Where the project's own code and scripts are (not vendored files, not node_modules).
const SOURCES: [&str; 9] = [
    "src",
    "tests",
    "entity",
    "migration",
    "sandbox",
    "benches",
    "dashboard",
    "e2e",
    "playground",
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "node_modules" | "vendor" | "screenshots" | "target"
            ) {
                files(&path, out);
            }
        } else if [".rs", ".js", ".mjs", ".html", ".css", ".toml", ".sh"]
            .iter()
            .any(|ending| name.ends_with(ending))
        {
            out.push(path);
        }
    }
}

/// The rule ids in `text`: `R` or `B` and one or two digits, standing alone.
fn rule_ids(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut ids = Vec::new();
    for (at, &byte) in bytes.iter().enumerate() {
        if byte != b'R' && byte != b'B' {
            continue;
        }
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        let digits = bytes[at + 1..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        let end = at + 1 + digits;
        let stands_alone = bytes
            .get(end)
            .is_none_or(|next| !next.is_ascii_alphanumeric() && *next != b'_');
        if (1..=2).contains(&digits) && stands_alone {
            ids.push(text[at..end].to_owned());
        }
    }
    ids
}

#[test]
fn every_rule_the_code_cites_is_in_docs_rules_md() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = std::fs::read_to_string(root.join("docs/rules.md")).expect("docs/rules.md");
    let mut paths = Vec::new();
    for dir in SOURCES {
        files(&root.join(dir), &mut paths);
    }
    assert!(paths.len() > 100, "{} files read", paths.len());
    let mut missing = Vec::new();
    let mut cited = std::collections::BTreeSet::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for id in rule_ids(&text) {
            if !rules.contains(&format!("### {id}\n")) {
                missing.push(format!("{} cites {id}", path.display()));
            }
            cited.insert(id);
        }
        // Documents outside the repository (only this test may name them).
        if path.ends_with("tests/api/rules.rs") {
            continue;
        }
        for document in [
            "SPEC.md",
            "API.md",
            "CHECKLIST",
            "DESIGN.md",
            "STYLE.md",
            "NETWORKS.md",
        ] {
            assert!(
                !text.contains(document),
                "{} cites {document}, which is not in the repository",
                path.display()
            );
        }
    }
    assert!(
        missing.is_empty(),
        "not in docs/rules.md:\n{}",
        missing.join("\n")
    );
    // The scan works: the ids the code is known to cite are found.
    for id in ["R3", "R8", "R18", "B1", "B4", "B9"] {
        assert!(cited.contains(id), "{id} not found by the scan");
    }
}

#[test]
fn rule_ids_are_read_only_where_they_stand_alone() {
    assert_eq!(
        rule_ids("R9–R11, (B4) and R18."),
        ["R9", "R11", "B4", "R18"]
    );
    assert!(rule_ids("0xB1 R2D2 QVIR3 R123 B_1 fn r3_x").is_empty());
}
