//! The source tree against its map and its rules: docs/architecture.md names every
//! module under src/ (each .rs file and each directory, one line each: a line
//! starting "- `src/...`"; a directory's line covers its mod.rs) and names nothing
//! that is not there; no file under src/ is over 400 lines outside its tests (inline
//! `#[cfg(test)] mod tests { ... }` blocks, and files that are only declared under
//! `#[cfg(test)]`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Most lines a file under src/ may have outside its tests.
const MAX_LINES: usize = 400;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file and directory under src/, as `src/a/b.rs` and `src/a/`.
fn tree(dir: &Path, out: &mut BTreeSet<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let rel = p.strip_prefix(root()).expect("under the root").display().to_string();
        if p.is_dir() {
            out.insert(format!("{rel}/"));
            tree(&p, out);
        } else if rel.ends_with(".rs") {
            out.insert(rel);
        }
    }
}

/// The paths docs/architecture.md maps: the first `code` of each "- `src/...`" line.
fn mapped() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).expect("docs/architecture.md");
    doc.lines()
        .filter_map(|l| l.trim_start().strip_prefix("- `src/"))
        .filter_map(|l| l.split('`').next())
        .map(|p| format!("src/{p}"))
        .collect()
}

#[test]
fn the_architecture_map_names_every_module_and_nothing_else() {
    let mut files = BTreeSet::new();
    tree(&root().join("src"), &mut files);
    let map = mapped();
    let unmapped: Vec<&String> = files
        .iter()
        .filter(|f| !map.contains(*f))
        .filter(|f| !(f.ends_with("/mod.rs") && map.contains(f.trim_end_matches("mod.rs"))))
        .collect();
    let stale: Vec<&String> = map.iter().filter(|m| !files.contains(*m)).collect();
    assert!(
        unmapped.is_empty() && stale.is_empty(),
        "docs/architecture.md is out of date.\nNot in the map (add a line \"- `PATH`: what it holds\"): {unmapped:#?}\n\
         In the map but not under src/: {stale:#?}"
    );
}

/// The files `text` (the file at `path`) declares under `#[cfg(test)]`, with or
/// without `#[path = "..."]`: `mod x;` is `x.rs` or `x/mod.rs` in the file's module
/// directory.
fn test_only_children(path: &Path, text: &str) -> Vec<PathBuf> {
    let dir = match path.file_name().and_then(|n| n.to_str()) {
        Some("mod.rs" | "lib.rs" | "main.rs") => path.parent().expect("a parent").to_path_buf(),
        _ => path.with_extension(""),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.trim() != "#[cfg(test)]" {
            continue;
        }
        let mut j = i + 1;
        let mut explicit = None;
        while let Some(attr) = lines.get(j).map(|l| l.trim()).filter(|l| l.starts_with("#[")) {
            if let Some(p) = attr.strip_prefix("#[path = \"").and_then(|p| p.strip_suffix("\"]")) {
                explicit = Some(path.parent().expect("a parent").join(p));
            }
            j += 1;
        }
        let Some(name) = lines
            .get(j)
            .map(|l| l.trim().trim_start_matches("pub(crate) ").trim_start_matches("pub "))
            .and_then(|l| l.strip_prefix("mod "))
            .and_then(|l| l.strip_suffix(';'))
        else {
            continue;
        };
        out.push(explicit.unwrap_or_else(|| dir.join(format!("{name}.rs"))));
        out.push(dir.join(name).join("mod.rs"));
    }
    out
}

/// Lines of `text` outside inline `#[cfg(test)]` items (an attribute at column 0 and
/// the item after it, up to its closing `}` at column 0, or its `;`).
fn non_test_lines(text: &str) -> usize {
    let mut count = 0;
    let mut skipping = false;
    let mut lines = text.lines().peekable();
    while let Some(l) = lines.next() {
        if skipping {
            skipping = l != "}";
            continue;
        }
        if l == "#[cfg(test)]" {
            while lines.peek().is_some_and(|n| n.starts_with("#[")) {
                lines.next();
            }
            skipping = lines.next().is_some_and(|item| item.ends_with('{'));
            continue;
        }
        count += 1;
    }
    count
}

#[test]
fn no_file_under_src_is_over_400_lines_outside_its_tests() {
    let mut files = BTreeSet::new();
    tree(&root().join("src"), &mut files);
    let files: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.ends_with(".rs"))
        .map(|f| root().join(f))
        .collect();
    let texts: Vec<(PathBuf, String)> = files
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(f).expect("read")))
        .collect();
    let test_only: BTreeSet<PathBuf> = texts.iter().flat_map(|(p, t)| test_only_children(p, t)).collect();
    let long: Vec<String> = texts
        .iter()
        .filter(|(p, _)| !test_only.contains(p))
        .map(|(p, t)| (p, non_test_lines(t)))
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(p, n)| {
            format!(
                "{}: {n} lines",
                p.strip_prefix(root()).expect("under the root").display()
            )
        })
        .collect();
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines outside their tests (split them into a folder module):\n{}",
        long.join("\n")
    );
}

#[test]
fn test_parts_are_not_counted() {
    let text = "fn a() {}\n#[cfg(test)]\nmod tests {\n    fn b() {}\n}\n#[cfg(test)]\n#[path = \"x.rs\"]\nmod more;\n";
    assert_eq!(non_test_lines(text), 1);
    let children = test_only_children(Path::new("/s/src/a/b.rs"), text);
    assert!(children.contains(&PathBuf::from("/s/src/a/x.rs")), "{children:?}");
}
