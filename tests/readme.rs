//! The README's library quick start is the crate docs' quick start, which runs as a doctest:
//! the code a newcomer copies from the README is code that is tested.

/// The first ```rust block after `heading` in `text`.
fn rust_block_after<'a>(text: &'a str, heading: &str) -> &'a str {
    let section = &text[text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"))..];
    let start = section.find("```rust\n").expect("a rust block") + "```rust\n".len();
    let len = section[start..].find("```\n").expect("the block's end");
    &section[start..start + len]
}

#[test]
fn readme_quick_start_is_the_doctested_one() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let tutorial = std::fs::read_to_string(format!("{root}/src/tutorial.md")).unwrap();
    let in_readme = rust_block_after(&readme, "## Use it as a library");
    let doctested = rust_block_after(&tutorial, "## Quick start");
    assert!(doctested.contains(".run(&script"), "{doctested}");
    assert_eq!(in_readme, doctested);
}
