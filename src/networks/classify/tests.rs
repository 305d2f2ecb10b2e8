//! Row by row: every documented answer under `tests/fixtures/networks/{network}/` lands in the
//! class its `cases.json` names, and every row of every table is reached by one of them.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;

use super::*;

#[derive(Deserialize)]
struct Case {
    body: String,
    status: u16,
    class: String,
}

const NETWORKS: &[(&str, Family)] = &[
    ("facebook", Family::Meta),
    ("instagram", Family::Meta),
    ("linkedin", Family::Linkedin),
    ("x", Family::X),
    ("youtube", Family::Google),
    ("tiktok", Family::Tiktok),
    ("pinterest", Family::Pinterest),
];

fn cases(network: &str) -> Vec<(Case, Option<Value>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/networks")
        .join(network);
    let index = std::fs::read_to_string(dir.join("cases.json")).expect("cases.json");
    let cases: Vec<Case> = serde_json::from_str(&index).expect("cases parse");
    cases
        .into_iter()
        .map(|case| {
            let text = std::fs::read_to_string(dir.join(&case.body)).expect("fixture");
            let body = serde_json::from_str(&text).ok();
            (case, body)
        })
        .collect()
}

fn name(class: Option<Class>) -> String {
    match class {
        None => "ok".to_owned(),
        Some(Class::Reconnect(reason)) => format!(
            "Reconnect:{}",
            serde_json::to_value(reason)
                .expect("reason")
                .as_str()
                .expect("string")
        ),
        Some(other) => format!("{other:?}"),
    }
}

#[test]
fn every_documented_answer_lands_in_its_class() {
    let mut checked = 0;
    for (network, family) in NETWORKS {
        for (case, body) in cases(network) {
            let class = class_of(*family, case.status, body.as_ref()).map(|(class, _)| class);
            assert_eq!(
                name(class),
                case.class,
                "{network}/{} (HTTP {})",
                case.body,
                case.status
            );
            checked += 1;
        }
    }
    assert!(checked > 90, "{checked} cases");
}

#[test]
fn every_row_of_every_table_is_proven_by_a_recorded_answer() {
    let mut reached: HashSet<*const Rule> = HashSet::new();
    for (network, family) in NETWORKS {
        for (case, body) in cases(network) {
            if let Some(body) = body {
                let found = found(*family, &body);
                if let Some(rule) = placed(*family, case.status, &found) {
                    reached.insert(std::ptr::from_ref(rule));
                }
            }
        }
    }
    for (network, family) in NETWORKS {
        for (row, rule) in family.rules().iter().enumerate() {
            assert!(
                reached.contains(&std::ptr::from_ref(rule)),
                "{network}: row {row} ({rule:?}) has no recorded answer"
            );
        }
    }
    for (row, rule) in OAUTH.iter().enumerate() {
        assert!(
            reached.contains(&std::ptr::from_ref(rule)),
            "oauth: row {row} ({rule:?}) has no recorded answer"
        );
    }
}

#[test]
fn hostile_answers_never_disconnect_and_never_panic() {
    let hostile = [
        serde_json::json!({ "error": { "code": "190" } }),
        serde_json::json!({ "error": { "code": 1e300 } }),
        serde_json::json!({ "error": { "code": -1, "error_subcode": [] } }),
        serde_json::json!({ "error": [] }),
        serde_json::json!({ "error": null }),
        serde_json::json!([1, 2, 3]),
        serde_json::json!("just a string"),
        serde_json::json!({ "type": 7, "errors": "nope", "code": { "deep": true } }),
        serde_json::json!({ "message": "x".repeat(100_000) }),
    ];
    for (_, family) in NETWORKS {
        for body in &hostile {
            for status in [200, 400, 500] {
                if let Some((class, detail)) = class_of(*family, status, Some(body)) {
                    assert!(detail.len() < 2_000, "detail stays short");
                    if status != 200 || !matches!(class, Class::Reconnect(_)) {
                        continue;
                    }
                    // A Meta `"190"` string code is still Meta's documented code: the one hostile
                    // shape that may disconnect, and only when it says so.
                    assert_eq!(*family, Family::Meta, "{body}");
                }
            }
        }
    }
    assert!(matches!(
        class_of(Family::X, 502, None),
        Some((Class::Transient, _))
    ));
    assert!(class_of(Family::Meta, 200, Some(&serde_json::json!({ "data": [] }))).is_none());
}
