//! ARCHITECTURE.md's invariants, read from `src/` and enforced: which module may
//! import which, no import cycle between source files, and the size limits.
//!
//! A file is a node; every `use` and every `crate::…`/`super::…` path in its code
//! (comments stripped) is an edge to the deepest source file that path names:
//! `super::State`, when `State` is defined in `confluence/mod.rs`, points at that
//! file; `super::state::State` at `confluence/state.rs`. Text, not a Rust parser:
//! the checks need module paths, which a scan of `use` trees and paths gives.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The largest a source file may be, tests included.
const MAX_FILE_LINES: usize = 800;
/// The longest a function may be, from its `fn` line to its closing brace.
const MAX_FN_LINES: usize = 100;

/// Module path prefixes each area must never import.
const FORBIDDEN: &[(&str, &[&str])] = &[
    // The emulator stands alone: `tollgate mock` serves real clients, and a
    // client-side bug must not be mirrored by the mock that should catch it.
    (
        "mock",
        &[
            "run",
            "load",
            "expect",
            "report",
            "client",
            "session",
            "commands",
            "cli",
            "selftest",
            "auth::oauth",
            "auth::crowd",
            "auth",
        ],
    ),
    // The loader knows nothing of sending, judging or emulating.
    (
        "scenario",
        &[
            "run", "load", "mock", "expect", "report", "auth", "client", "session", "commands",
            "cli", "selftest",
        ],
    ),
    // Reporters read the report model only.
    (
        "report",
        &[
            "run", "load", "mock", "expect", "auth", "client", "session", "scenario", "commands",
            "cli", "selftest",
        ],
    ),
    // run and load both drive a session; neither leans on the other.
    ("load", &["run", "commands", "cli", "selftest"]),
    ("run", &["load", "commands", "cli", "selftest"]),
    // The client side builds credentials for any server, the emulator's or not.
    (
        "auth",
        &[
            "mock", "run", "load", "client", "session", "expect", "report",
        ],
    ),
    ("client", &["mock", "run", "load", "session", "report"]),
    ("session", &["run", "load", "commands", "cli", "selftest"]),
    (
        "expect",
        &["run", "load", "mock", "client", "session", "auth"],
    ),
    ("wire", &[""]),
    // The evidence bundle packs and checks bytes: it reads the report model and
    // is handed everything else, so neither a mock nor a load run reaches it.
    (
        "bundle",
        &[
            "mock", "load", "run", "session", "client", "auth", "expect", "scenario", "commands",
            "cli", "selftest",
        ],
    ),
];

/// What `mock` may take from `auth`: key material and JWT encoding, which the
/// emulator verifies with (the `auth` entry above forbids the rest).
const MOCK_MAY_USE: &[&str] = &["auth::keys", "auth::jwt"];

struct Source {
    /// Relative to `src/`.
    path: PathBuf,
    /// `["mock", "confluence", "seraph"]`; `[]` for lib.rs and main.rs.
    module: Vec<String>,
    /// The code with comments and string contents blanked.
    code: String,
    lines: usize,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            let path = file.strip_prefix(&root).unwrap().to_path_buf();
            Source {
                module: module_of(&path),
                code: strip(&text),
                lines: text.lines().count(),
                path,
            }
        })
        .collect()
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

fn module_of(path: &Path) -> Vec<String> {
    let mut parts: Vec<String> = path
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// `text` with comments removed and string and char literals emptied, so that
/// neither a doc link nor a message counts as an import or a brace.
fn strip(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(rest.len(), |e| e + 2);
            out.extend(rest[..end].chars().filter(|c| *c == '\n'));
            i += end;
        } else if let Some(len) = raw_string_len(rest) {
            out.push_str("\"\"");
            out.extend(rest[..len].chars().filter(|c| *c == '\n'));
            i += len;
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match rest.as_bytes()[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            let end = (j + 1).min(rest.len());
            out.push_str("\"\"");
            out.extend(rest[..end].chars().filter(|c| *c == '\n'));
            i += end;
        } else if let Some(len) = char_literal_len(rest) {
            out.push_str("' '");
            i += len;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The length of a raw string literal (`r"…"`, `r#"…"#`, `br"…"`) at the start.
fn raw_string_len(text: &str) -> Option<usize> {
    let after_b = text.strip_prefix('b').unwrap_or(text);
    let after_r = after_b.strip_prefix('r')?;
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    let body = after_r[hashes..].strip_prefix('"')?;
    let closing = format!("\"{}", "#".repeat(hashes));
    let end = body.find(&closing)?;
    Some(text.len() - body.len() + end + closing.len())
}

/// The length of a char literal such as `'{'` or `'\''` at the start (not a lifetime).
fn char_literal_len(text: &str) -> Option<usize> {
    let rest = text.strip_prefix('\'')?;
    let mut chars = rest.char_indices();
    let (_, first) = chars.next()?;
    let end = if first == '\\' {
        rest[1..].find('\'')? + 1
    } else {
        first.len_utf8()
    };
    rest[end..].starts_with('\'').then_some(end + 2)
}

/// Every module path a file's code names, made absolute (without `crate`).
fn references(source: &Source, modules: &BTreeSet<Vec<String>>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let code = &source.code;
    let inline = inline_modules(code);
    // The module a path at `offset` is written in: `super::*` in a file's
    // `mod tests { … }` names the file itself.
    let module_at = |offset: usize| {
        let mut module = source.module.clone();
        module.extend(
            inline
                .iter()
                .filter(|(start, end, _)| (*start..*end).contains(&offset))
                .map(|(_, _, name)| name.clone()),
        );
        module
    };
    let mut from = 0;
    // `use` trees, grouped imports expanded.
    while let Some(at) = find_use(&code[from..]) {
        let start = from + at;
        let end = code[start..].find(';').map_or(code.len(), |e| start + e);
        let module = module_at(start);
        for path in expand(code[start..end].trim()) {
            found.extend(absolute(&module, &path, modules));
        }
        from = end;
    }
    // Paths written inline.
    for (start, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        if start > 0 && is_ident_byte(code.as_bytes()[start - 1]) {
            continue;
        }
        let path: String = code[start..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segments: Vec<String> = path
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        found.extend(absolute(&module_at(start), &segments, modules));
    }
    found
}

/// The inline `mod name { … }` blocks of `code`: byte range and name, outermost first.
fn inline_modules(code: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        if at > 0 && is_ident_byte(code.as_bytes()[at - 1]) {
            continue;
        }
        let name: String = code[at + 4..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let after = code[at + 4 + name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = code.len() - after.len();
        if let Some(close) = matching_brace(code, open) {
            found.push((open, close, name));
        }
    }
    found
}

/// The offset of the `}` that closes the `{` at `open`.
fn matching_brace(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The offset just after the next `use ` keyword in `text`.
fn find_use(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find("use ") {
        let start = from + at;
        let before = text[..start].chars().next_back();
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            return Some(start + 4);
        }
        from = start + 4;
    }
    None
}

/// `a::{b, c::{d, e}}` → `[a, b]`, `[a, c, d]`, `[a, c, e]`.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = Vec::new();
    expand_into(&tree, &mut Vec::new(), &mut out);
    out
}

fn expand_into(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let Some(open) = tree.find('{') else {
        let mut path = prefix.clone();
        let head = tree.split(" as ").next().unwrap_or(tree);
        let head = head.split("as").next().unwrap_or(head);
        path.extend(
            head.split("::")
                .filter(|s| !s.is_empty() && *s != "*")
                .map(str::to_string),
        );
        out.push(path);
        return;
    };
    let base: Vec<String> = tree[..open]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let depth_before = prefix.len();
    prefix.extend(base);
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand_group_item(&inner[start..i], prefix, out);
                start = i + 1;
            }
            _ => {}
        }
    }
    expand_group_item(&inner[start..], prefix, out);
    prefix.truncate(depth_before);
}

fn expand_group_item(item: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match item {
        "" => {}
        "self" => out.push(prefix.clone()),
        item => expand_into(item, prefix, out),
    }
}

/// `path` as written in `module`, made absolute, if it names this crate.
fn absolute(
    module: &[String],
    path: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let first = path.first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "super" | "self" => {
            let mut base = module.to_vec();
            let mut segments = path.iter().peekable();
            while let Some(segment) = segments.next_if(|s| *s == "super" || *s == "self") {
                if segment == "super" {
                    base.pop();
                }
            }
            base.extend(segments.cloned());
            return Some(base);
        }
        name => {
            // A child module named without `self::` (uniform paths).
            let mut child = module.to_vec();
            child.push(name.to_string());
            if !modules.contains(&child) {
                return None;
            }
            module.to_vec()
        }
    };
    let skip = usize::from(first == "crate");
    base.extend(path[skip..].iter().cloned());
    Some(base)
}

/// The deepest module file a path lies in.
fn file_of(path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| modules.contains(prefix))
        .unwrap_or_default()
}

fn starts_with(path: &[String], prefix: &str) -> bool {
    let prefix: Vec<&str> = prefix.split("::").filter(|s| !s.is_empty()).collect();
    path.len() >= prefix.len() && path.iter().zip(&prefix).all(|(a, b)| a == b)
}

#[test]
fn areas_import_only_what_architecture_md_allows() {
    let sources = sources();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let mut broken = Vec::new();
    for source in &sources {
        let Some(area) = source.module.first() else {
            continue;
        };
        let Some((_, forbidden)) = FORBIDDEN.iter().find(|(a, _)| a == area) else {
            continue;
        };
        for path in references(source, &modules) {
            if path.first() == Some(area) {
                continue;
            }
            let allowed = area == "mock" && MOCK_MAY_USE.iter().any(|p| starts_with(&path, p));
            let hit = forbidden
                .iter()
                .find(|f| !f.is_empty() && starts_with(&path, f));
            let wire_imports = *area == "wire" && !path.is_empty();
            if (hit.is_some() && !allowed) || wire_imports {
                broken.push(format!(
                    "{} imports crate::{}",
                    source.path.display(),
                    path.join("::")
                ));
            }
        }
    }
    broken.sort();
    broken.dedup();
    assert!(
        broken.is_empty(),
        "imports ARCHITECTURE.md forbids:\n{}",
        broken.join("\n")
    );
}

#[test]
fn no_source_file_imports_a_file_that_imports_it_back() {
    let sources = sources();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for source in &sources {
        // main.rs is a second crate root; its `tollgate::` paths are not edges.
        if source.path == Path::new("main.rs") {
            continue;
        }
        let targets = edges.entry(source.module.clone()).or_default();
        for path in references(source, &modules) {
            let target = file_of(&path, &modules);
            if target != source.module {
                targets.insert(target);
            }
        }
    }
    let cycles = strongly_connected(&edges);
    let name = |m: &Vec<String>| {
        if m.is_empty() {
            "lib".to_string()
        } else {
            m.join("::")
        }
    };
    // Each cycle with the imports that make it, so the fix is in plain sight.
    let shown: Vec<String> = cycles
        .iter()
        .map(|cycle| {
            let members: BTreeSet<&Vec<String>> = cycle.iter().collect();
            let mut text = cycle.iter().map(name).collect::<Vec<_>>().join(" ⇄ ");
            for from in cycle {
                for to in edges[from].iter().filter(|to| members.contains(to)) {
                    text.push_str(&format!("\n    {} → {}", name(from), name(to)));
                }
            }
            text
        })
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles between source files:\n{}",
        shown.join("\n")
    );
}

/// Tarjan's algorithm; components of more than one file.
fn strongly_connected(
    edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        found: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a Vec<String>) {
        let n = state.index.len();
        state.index.insert(node, n);
        state.low.insert(node, n);
        state.stack.push(node);
        state.on_stack.insert(node);
        for next in state.edges.get(node).into_iter().flatten() {
            let Some((next, _)) = state.edges.get_key_value(next) else {
                continue;
            };
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(member);
                component.push(member.clone());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[test]
fn no_source_file_is_over_the_size_limit() {
    let too_long: Vec<String> = sources()
        .iter()
        .filter(|s| s.lines > MAX_FILE_LINES)
        .map(|s| format!("{}: {} lines", s.path.display(), s.lines))
        .collect();
    assert!(
        too_long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        too_long.join("\n")
    );
}

#[test]
fn no_function_is_over_the_size_limit() {
    let mut too_long = Vec::new();
    for source in sources() {
        for (name, line, length) in functions(&source.code) {
            if length > MAX_FN_LINES {
                too_long.push(format!(
                    "{}:{line} fn {name}: {length} lines",
                    source.path.display()
                ));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "functions over {MAX_FN_LINES} lines:\n{}",
        too_long.join("\n")
    );
}

/// Every `fn` with a body: its name, first line and length in lines.
fn functions(code: &str) -> Vec<(String, usize, usize)> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for (at, _) in code.match_indices("fn ") {
        if at > 0 && is_ident_byte(bytes[at - 1]) {
            continue;
        }
        let name: String = code[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        // The body opens at the first `{` outside the signature's parentheses
        // and generics; a `;` first means a declaration without a body.
        let mut depth = 0i32;
        let mut open = None;
        for (i, c) in code[at..].char_indices() {
            match c {
                '(' | '<' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                '>' if !code[at..at + i].ends_with('-') => depth -= 1,
                ';' if depth <= 0 => break,
                '{' if depth <= 0 => {
                    open = Some(at + i);
                    break;
                }
                _ => {}
            }
        }
        let Some(open) = open else { continue };
        let Some(close) = matching_brace(code, open) else {
            continue;
        };
        let first = code[..at].matches('\n').count() + 1;
        let last = code[..close].matches('\n').count() + 1;
        found.push((name, first, last - first + 1));
    }
    found
}

#[test]
fn the_checks_see_what_they_check() {
    // A rule that never fires proves nothing: the scanner must find imports in
    // every shape the crate writes them, and functions with their lengths.
    let source = Source {
        path: PathBuf::from("mock/x.rs"),
        module: vec!["mock".into(), "x".into()],
        code: strip(concat!(
            "use crate::run::{self, step::{run_step, StepContext}};\n",
            "use super::y::Z; // crate::load in a comment\n",
            "fn f() { let s = \"crate::report\"; let c = '{'; crate::expect::judge(); }\n",
            "mod tests { use super::*; use super::super::y; }\n",
        )),
        lines: 4,
    };
    let modules: BTreeSet<Vec<String>> = [vec!["mock".to_string(), "y".to_string()]].into();
    let refs: Vec<String> = references(&source, &modules)
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    for expected in [
        "run",
        "run::step::run_step",
        "run::step::StepContext",
        "mock::y::Z",
        "expect::judge",
        "mock::x",
        "mock::y",
    ] {
        assert!(
            refs.contains(&expected.to_string()),
            "{expected} in {refs:?}"
        );
    }
    assert!(
        !refs
            .iter()
            .any(|r| r.starts_with("load") || r.starts_with("report")),
        "{refs:?}"
    );
    assert_eq!(functions(&source.code), [("f".to_string(), 3, 1)]);
    let cycle = BTreeMap::from([
        (
            vec!["a".to_string()],
            BTreeSet::from([vec!["b".to_string()]]),
        ),
        (
            vec!["b".to_string()],
            BTreeSet::from([vec!["a".to_string()]]),
        ),
    ]);
    assert_eq!(strongly_connected(&cycle).len(), 1);
}
