//! `schema.graphql` is generated from the code; drift fails here.

#[test]
fn schema_graphql_matches_the_code() {
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
            .expect("schema.graphql exists");
    let generated = relink::graphql::sdl();
    assert!(
        checked_in == generated,
        "schema.graphql is out of date: regenerate it with `cargo run -- schema > schema.graphql`"
    );
}

#[test]
fn no_type_of_the_schema_can_carry_a_token_or_secret() {
    let sdl = relink::graphql::sdl().to_lowercase();
    for word in [
        "token_enc",
        "accesstoken",
        "refreshtoken",
        "verifier",
        "secret",
        "keyid",
        "password:",
    ] {
        assert!(!sdl.contains(word), "the schema mentions {word}");
    }
}
