//! YAML text → a tree of nodes that each remember where they were written.
//!
//! serde_yaml and its forks keep no position per node, so we read saphyr-parser's
//! events (which carry marks) and build the tree ourselves; [`super::de`] then
//! deserializes the typed model from it.
//!
//! A scenario file is input from anyone who can open a pull request, so building
//! the tree is bounded: [`MAX_SOURCE_BYTES`] of text, [`MAX_DEPTH`] levels of
//! nesting (the tree, its drop and the deserializer recurse), [`MAX_COPIED_NODES`]
//! nodes copied by anchors and aliases (a few hundred bytes of aliases can
//! otherwise describe billions of nodes), one document per file, and a duplicate-key
//! check that is linear in the number of keys. The first limit hit stops the
//! parse with an error at its `line:col`.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// The largest scenario or profile file read (1 MiB): the largest scenario in
/// the suite is a few KiB; anything near this size is a mistake or an attack.
pub const MAX_SOURCE_BYTES: usize = 1024 * 1024;

/// The deepest nesting of sequences and mappings (the root mapping is level 1).
/// Scenarios need fewer than 15 levels; a JSON body written in YAML rarely more
/// than 20. Each level costs a few stack frames in the deserializer, so this
/// also keeps `check` far from the stack's end.
pub const MAX_DEPTH: usize = 64;

/// The most nodes anchors and aliases may copy into one file's tree (each
/// anchored node is copied once when it is defined, and once per alias).
pub const MAX_COPIED_NODES: usize = 100_000;

/// A 1-based line and column in a scenario file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    fn from_span(span: &Span) -> Self {
        Pos {
            line: span.start.line(),
            col: span.start.col() + 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A scalar. `plain` scalars (unquoted, not block) may be read as null, bool or
    /// number; quoted ones are always strings.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub pos: Pos,
}

impl Node {
    /// The value under `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// True for `~`, `null`, an empty plain scalar: what YAML reads as null.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// Every scalar in the tree, mutably (for `${env:…}` interpolation).
    pub fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut String, Pos)) {
        match &mut self.kind {
            NodeKind::Scalar { text, .. } => f(text, self.pos),
            NodeKind::Seq(items) => items.iter_mut().for_each(|n| n.for_each_scalar_mut(f)),
            NodeKind::Map(entries) => entries
                .iter_mut()
                .for_each(|(_, v)| v.for_each_scalar_mut(f)),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Parses one YAML document. An empty file is an empty mapping.
pub fn parse(source: &str) -> Result<Node, SyntaxError> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(SyntaxError {
            pos: Pos { line: 1, col: 1 },
            message: too_large_message(source.len()),
        });
    }
    let mut builder = Builder::default();
    // Events are pulled one by one (not `Parser::load`, which recurses once per
    // level and asserts on its input) so the first error stops the parse.
    for event in Parser::new_from_str(source) {
        let (event, span) = event.map_err(|e| {
            let pos = Pos {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            };
            // The scanner has its own limit on flow nesting (`[[[…`), which it
            // can reach before the tree does: say it the same way.
            if e.info() == "recursion limit exceeded" {
                too_deep(pos)
            } else {
                error(pos, e.info())
            }
        })?;
        builder.on_event(event, &span)?;
    }
    Ok(builder.root.unwrap_or(Node {
        kind: NodeKind::Map(Vec::new()),
        pos: Pos { line: 1, col: 1 },
    }))
}

/// The message for a file over [`MAX_SOURCE_BYTES`].
pub fn too_large_message(len: usize) -> String {
    format!(
        "the file is larger than {} KiB (the limit for scenario and profile files); it has {len} bytes",
        MAX_SOURCE_BYTES / 1024
    )
}

/// A finished node with what the limits need to know about it.
#[derive(Clone)]
struct Built {
    node: Node,
    /// Nodes in the subtree, this one included.
    size: usize,
    /// Levels of collections in the subtree (0 for a scalar).
    height: usize,
}

/// A sequence or mapping whose end has not been read yet.
struct Open {
    node: Node,
    anchor: usize,
    size: usize,
    height: usize,
    /// A mapping's key waiting for its value.
    key: Option<Node>,
    /// A mapping's keys so far, so a duplicate is found in O(1).
    keys: HashSet<String>,
}

/// Collects events into nodes. Open collections wait on a stack; a finished node is
/// attached to the collection on top, or becomes the root.
#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Built>,
    /// Nodes copied so far by anchors and aliases.
    copied: usize,
    documents: usize,
    root: Option<Node>,
}

fn error(pos: Pos, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        pos,
        message: message.into(),
    }
}

impl Builder {
    fn on_event(&mut self, event: Event<'_>, span: &Span) -> Result<(), SyntaxError> {
        let pos = Pos::from_span(span);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let node = Node {
                    kind: NodeKind::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    pos,
                };
                self.finish(
                    Built {
                        node,
                        size: 1,
                        height: 0,
                    },
                    anchor,
                )
            }
            Event::SequenceStart(anchor, _) => self.open(NodeKind::Seq(Vec::new()), pos, anchor),
            Event::MappingStart(anchor, _) => self.open(NodeKind::Map(Vec::new()), pos, anchor),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(open) => self.finish(
                    Built {
                        node: open.node,
                        size: open.size,
                        height: open.height,
                    },
                    open.anchor,
                ),
                None => Ok(()),
            },
            Event::Alias(id) => self.alias(id, pos),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(error(
                        pos,
                        "a second YAML document: a scenario file holds one document (one scenario per file)",
                    ));
                }
                Ok(())
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => Ok(()),
        }
    }

    fn open(&mut self, kind: NodeKind, pos: Pos, anchor: usize) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(too_deep(pos));
        }
        self.stack.push(Open {
            node: Node { kind, pos },
            anchor,
            size: 1,
            height: 1,
            key: None,
            keys: HashSet::new(),
        });
        Ok(())
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), SyntaxError> {
        let Some((size, height)) = self.anchors.get(&id).map(|a| (a.size, a.height)) else {
            return Err(error(pos, "alias to an unknown anchor"));
        };
        if self.stack.len() + height > MAX_DEPTH {
            return Err(too_deep(pos));
        }
        // Charged before the copy is made, so a bomb stops before it allocates.
        self.charge_copy(size, pos)?;
        let mut copy = self
            .anchors
            .get(&id)
            .cloned()
            .ok_or_else(|| error(pos, "alias to an unknown anchor"))?;
        copy.node.pos = pos;
        self.finish(copy, 0)
    }

    fn charge_copy(&mut self, size: usize, pos: Pos) -> Result<(), SyntaxError> {
        self.copied = self.copied.saturating_add(size);
        if self.copied > MAX_COPIED_NODES {
            return Err(error(
                pos,
                format!(
                    "anchors and aliases copy more than {MAX_COPIED_NODES} nodes (the limit for one file)"
                ),
            ));
        }
        Ok(())
    }

    fn finish(&mut self, built: Built, anchor: usize) -> Result<(), SyntaxError> {
        if anchor > 0 {
            self.charge_copy(built.size, built.node.pos)?;
            self.anchors.insert(anchor, built.clone());
        }
        let Some(parent) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(built.node);
            }
            return Ok(());
        };
        parent.size = parent.size.saturating_add(built.size);
        parent.height = parent.height.max(built.height + 1);
        match &mut parent.node.kind {
            NodeKind::Seq(items) => items.push(built.node),
            NodeKind::Map(entries) => match parent.key.take() {
                None => {
                    let Some(text) = built.node.as_str() else {
                        return Err(error(built.node.pos, "a mapping key must be a plain value"));
                    };
                    if !parent.keys.insert(text.to_string()) {
                        return Err(error(built.node.pos, format!("duplicate key '{text}'")));
                    }
                    parent.key = Some(built.node);
                }
                Some(key) => entries.push((key, built.node)),
            },
            // Only collections are opened; a scalar never waits on the stack.
            NodeKind::Scalar { .. } => {}
        }
        Ok(())
    }
}

fn too_deep(pos: Pos) -> SyntaxError {
    error(
        pos,
        format!("nesting deeper than {MAX_DEPTH} levels (the limit for scenario files)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_keep_their_positions() {
        let root = parse("id: A-1\nsteps:\n  - name: first\n    request: { path: /x }\n").unwrap();
        assert_eq!(root.get("id").unwrap().pos, Pos { line: 1, col: 5 });
        let steps = root.get("steps").unwrap();
        let NodeKind::Seq(items) = &steps.kind else {
            panic!("steps is a sequence")
        };
        assert_eq!(items[0].pos, Pos { line: 3, col: 5 });
        let path = items[0].get("request").unwrap().get("path").unwrap();
        assert_eq!(path.as_str(), Some("/x"));
        assert_eq!(path.pos, Pos { line: 4, col: 22 });
    }

    #[test]
    fn quoted_scalars_are_not_plain() {
        let root = parse("a: '200'\nb: 200\n").unwrap();
        assert!(matches!(
            root.get("a").unwrap().kind,
            NodeKind::Scalar { plain: false, .. }
        ));
        assert!(matches!(
            root.get("b").unwrap().kind,
            NodeKind::Scalar { plain: true, .. }
        ));
    }

    #[test]
    fn syntax_errors_and_duplicate_keys_have_positions() {
        let err = parse("a: [1, 2\n").unwrap_err();
        assert!(err.pos.line >= 1, "{err:?}");
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.pos, Pos { line: 3, col: 1 });
        assert_eq!(err.message, "duplicate key 'a'");
    }

    #[test]
    fn aliases_copy_their_anchor() {
        let root = parse("x: &u { name: alice }\ny: *u\n").unwrap();
        assert_eq!(
            root.get("y").unwrap().get("name").unwrap().as_str(),
            Some("alice")
        );
    }

    #[test]
    fn nesting_stops_at_the_depth_limit_with_a_position() {
        // 100,000 levels overflowed the stack before the limit (issue 12).
        let deep = format!("x:\n  {}a\n", "- ".repeat(100_000));
        let err = parse(&deep).unwrap_err();
        assert!(err.message.contains("deeper than 64 levels"), "{err:?}");
        assert_eq!(err.pos.line, 2);

        let flow = format!("x: {}{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&flow).unwrap_err().message.contains("deeper"));
        let flow = format!("x: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&flow).unwrap_err().message.contains("deeper than 64"));
        let fits = format!(
            "x: {}{}\n",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(parse(&fits).is_ok());
    }

    #[test]
    fn an_alias_cannot_carry_a_tree_past_the_depth_limit() {
        let nested = format!("{}{}", "[".repeat(40), "]".repeat(40));
        let text = format!(
            "a: &deep {nested}\nb: {}*deep{}\n",
            "[".repeat(30),
            "]".repeat(30)
        );
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("deeper"), "{err:?}");
        assert_eq!(err.pos.line, 2);
    }

    /// Each level refers to the one before ten times: 10^9 nodes from ~500 bytes.
    fn alias_bomb(levels: usize) -> String {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..levels {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        text
    }

    #[test]
    fn alias_expansion_is_bounded() {
        let err = parse(&alias_bomb(9)).unwrap_err();
        assert!(
            err.message.contains("copy more than 100000 nodes"),
            "{err:?}"
        );
        assert!(err.pos.line > 1, "{err:?}");
        // A modest use of anchors stays well inside the budget.
        assert!(parse(&alias_bomb(3)).is_ok());
    }

    #[test]
    fn duplicate_keys_are_found_among_many() {
        let mut text: String = (0..100_000).map(|i| format!("k{i}: v\n")).collect();
        let NodeKind::Map(entries) = parse(&text).unwrap().kind else {
            panic!("a mapping")
        };
        assert_eq!(entries.len(), 100_000);
        text.push_str("k99999: again\n");
        let err = parse(&text).unwrap_err();
        assert_eq!(err.message, "duplicate key 'k99999'");
        assert_eq!(
            err.pos,
            Pos {
                line: 100_001,
                col: 1
            }
        );
    }

    #[test]
    fn a_second_document_is_an_error_at_its_start() {
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.pos, Pos { line: 2, col: 1 });
        assert!(err.message.contains("one document"), "{err:?}");
        let err = parse("---\na: 1\n...\nb: 2\n").unwrap_err();
        assert_eq!(err.pos.line, 4);
        // One document, marked or not, is fine.
        assert!(parse("---\na: 1\n...\n").is_ok());
        assert!(parse("---\na: 1\n").is_ok());
    }

    #[test]
    fn oversized_text_is_refused_before_parsing() {
        let text = format!("a: '{}'\n", "x".repeat(MAX_SOURCE_BYTES));
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("larger than 1024 KiB"), "{err:?}");
    }

    #[test]
    fn keys_must_be_scalars() {
        let err = parse("? [a, b]\n: 1\n").unwrap_err();
        assert_eq!(err.message, "a mapping key must be a plain value");
    }

    #[test]
    fn inputs_that_made_yaml_scanners_loop_end() {
        // saphyr-parser issue 13 (fuzzing): "{---" looped, filling memory with
        // empty scalars; plain scalars starting with "..." were the cause.
        for text in ["{---", "[...", "{...", "a: {---", "- ...", "? ---", "[---"] {
            // Returning at all is the test (some of these are valid YAML).
            let _ = parse(text);
        }
        assert!(parse("{---").is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Fragments that exercise the scanner and the builder's limits.
        fn fragment() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("- ".to_string()),
                Just("[".to_string()),
                Just("]".to_string()),
                Just("{".to_string()),
                Just("}".to_string()),
                Just(": ".to_string()),
                Just(", ".to_string()),
                Just("\n".to_string()),
                Just("  ".to_string()),
                Just("---\n".to_string()),
                Just("...\n".to_string()),
                Just("? ".to_string()),
                Just("&a ".to_string()),
                Just("*a".to_string()),
                Just("&b [*a, *a, *a, *a]".to_string()),
                Just("*b".to_string()),
                Just("'".to_string()),
                Just("\"".to_string()),
                Just("|\n".to_string()),
                Just(">-\n".to_string()),
                Just("!tag ".to_string()),
                Just("%YAML 1.2\n".to_string()),
                Just("#".to_string()),
                Just("\t".to_string()),
                Just("\u{feff}".to_string()),
                "[a-z0-9]{1,8}",
                "\\PC{0,12}",
            ]
        }

        fn within_limits(node: &Node, depth: usize) -> bool {
            depth <= MAX_DEPTH
                && match &node.kind {
                    NodeKind::Scalar { .. } => true,
                    NodeKind::Seq(items) => items.iter().all(|n| within_limits(n, depth + 1)),
                    NodeKind::Map(entries) => entries
                        .iter()
                        .all(|(k, v)| within_limits(k, depth + 1) && within_limits(v, depth + 1)),
                }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            /// A tree or an error with a position, never a panic.
            #[test]
            fn structured_noise_gives_a_tree_or_an_error(parts in prop::collection::vec(fragment(), 0..200)) {
                match parse(&parts.concat()) {
                    Ok(node) => prop_assert!(within_limits(&node, 0)),
                    Err(e) => prop_assert!(e.pos.line >= 1 && e.pos.col >= 1, "{e:?}"),
                }
            }

            /// Whatever bytes a file holds, read as text the way the loader reads it.
            #[test]
            fn arbitrary_text_gives_a_tree_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
                let text = String::from_utf8_lossy(&bytes);
                if let Err(e) = parse(&text) {
                    prop_assert!(e.pos.line >= 1 && e.pos.col >= 1, "{e:?}");
                }
            }

            /// Nesting of any depth and style ends in a tree or the depth error.
            #[test]
            fn any_nesting_is_bounded(depth in 0usize..2000, style in 0u8..4) {
                let text = match style {
                    0 => format!("x:\n  {}a\n", "- ".repeat(depth)),
                    1 => format!("x: {}{}\n", "[".repeat(depth), "]".repeat(depth)),
                    2 => format!("x: {}b{}\n", "{a: ".repeat(depth), "}".repeat(depth)),
                    _ => (0..depth).map(|i| format!("{}k:\n", " ".repeat(i))).collect(),
                };
                match parse(&text) {
                    Ok(node) => prop_assert!(within_limits(&node, 0)),
                    Err(e) => prop_assert!(e.pos.line >= 1, "{e:?}"),
                }
            }

            /// Anchors referring to each other in any pattern stay within the copy budget.
            #[test]
            fn any_alias_pattern_is_bounded(fanout in 1usize..40, levels in 1usize..12) {
                let mut text = String::from("a0: &a0 [x]\n");
                for i in 1..levels {
                    let refs = vec![format!("*a{}", i - 1); fanout].join(", ");
                    text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
                }
                if let Ok(node) = parse(&text) {
                    prop_assert!(within_limits(&node, 0));
                }
            }

            /// Long scalars in every style.
            #[test]
            fn long_scalars_parse(len in 0usize..50_000, style in 0u8..4) {
                let body = "x".repeat(len);
                let text = match style {
                    0 => format!("a: {body}\n"),
                    1 => format!("a: '{body}'\n"),
                    2 => format!("a: \"{body}\"\n"),
                    _ => format!("a: |\n  {body}\n"),
                };
                let node = parse(&text).unwrap();
                let text = node.get("a").and_then(Node::as_str).map(|t| t.trim_end_matches('\n'));
                prop_assert_eq!(text.map(str::len), Some(len));
            }
        }
    }
}
