//! The server's modules import each other without a cycle (issue: "no import cycles
//! between server modules"), and `server/src/lib.rs`'s header lists each module's
//! imports truthfully. Reads the sources as text: `crate::<module>` outside tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module name → the crate modules it names (`crate::x`), test code left out.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            for inner in std::fs::read_dir(&path).unwrap() {
                let inner = inner.unwrap().path();
                // `x/tests.rs` is `#[cfg(test)] mod tests;`: test code, like what
                // follows `#[cfg(test)]` in a file.
                if inner.file_stem().is_some_and(|s| s == "tests") {
                    continue;
                }
                files.push((name.clone(), inner));
            }
        } else if name != "lib" {
            files.push((name, path));
        }
    }
    let known: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    for (module, path) in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let deps: &mut BTreeSet<String> = modules.entry(module.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for part in line.split("crate::").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if name != module && known.contains(&name) {
                    deps.insert(name);
                }
            }
            // `use crate::{a, b}` names several at once.
            if let Some(group) = line.split("crate::{").nth(1) {
                for name in group
                    .split(['}', ','])
                    .map(|n| n.trim().split("::").next().unwrap())
                {
                    if name != module && known.contains(name) {
                        deps.insert(name.to_string());
                    }
                }
            }
        }
    }
    modules
}

fn cycle_from(
    node: &str,
    graph: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|n| n == node) {
        let mut cycle = path[at..].to_vec();
        cycle.push(node.to_string());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    path.push(node.to_string());
    for next in graph.get(node).into_iter().flatten() {
        if let Some(cycle) = cycle_from(next, graph, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(node.to_string());
    None
}

#[test]
fn server_modules_import_each_other_without_a_cycle() {
    let graph = imports();
    assert!(graph.len() >= 10, "found only {graph:?}");
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        let cycle = cycle_from(module, &graph, &mut Vec::new(), &mut done);
        assert_eq!(cycle, None, "an import cycle between server modules");
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    graph.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    let cycle = cycle_from("a", &graph, &mut Vec::new(), &mut BTreeSet::new());
    assert_eq!(cycle, Some(vec!["a".into(), "b".into(), "a".into()]));
}
