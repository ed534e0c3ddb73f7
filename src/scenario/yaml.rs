//! YAML text → a tree of nodes that each remember where they were written.
//!
//! serde_yaml and its forks keep no position per node, so we read saphyr-parser's
//! events (which carry marks) and build the tree ourselves; [`super::de`] then
//! deserializes the typed model from it.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, SpannedEventReceiver};

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
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(source);
    if let Err(e) = parser.load(&mut builder, false) {
        let mark = e.marker();
        return Err(SyntaxError {
            pos: Pos {
                line: mark.line(),
                col: mark.col() + 1,
            },
            message: e.info().to_string(),
        });
    }
    if let Some(error) = builder.error {
        return Err(error);
    }
    Ok(builder.root.unwrap_or(Node {
        kind: NodeKind::Map(Vec::new()),
        pos: Pos { line: 1, col: 1 },
    }))
}

/// Collects events into nodes. Open collections wait on a stack; a finished node is
/// attached to the collection on top, or becomes the root.
#[derive(Default)]
struct Builder {
    stack: Vec<(Node, usize)>,
    /// Mapping keys waiting for their value, one slot per open mapping.
    pending_keys: Vec<Option<Node>>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    error: Option<SyntaxError>,
}

impl Builder {
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some((parent, _)) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(node);
            }
            return;
        };
        match &mut parent.kind {
            NodeKind::Seq(items) => items.push(node),
            NodeKind::Map(entries) => {
                let slot = self
                    .pending_keys
                    .last_mut()
                    .expect("every open mapping has a key slot");
                match slot.take() {
                    None => {
                        if !matches!(node.kind, NodeKind::Scalar { .. }) && self.error.is_none() {
                            self.error = Some(SyntaxError {
                                pos: node.pos,
                                message: "a mapping key must be a plain value".into(),
                            });
                        }
                        *slot = Some(node);
                    }
                    Some(key) => {
                        let duplicate = entries.iter().any(|(k, _)| k.as_str() == key.as_str());
                        if duplicate && self.error.is_none() {
                            self.error = Some(SyntaxError {
                                pos: key.pos,
                                message: format!(
                                    "duplicate key '{}'",
                                    key.as_str().unwrap_or_default()
                                ),
                            });
                        }
                        entries.push((key, node));
                    }
                }
            }
            NodeKind::Scalar { .. } => unreachable!("scalars are never pushed on the stack"),
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, event: Event<'input>, span: Span) {
        let pos = Pos::from_span(&span);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let node = Node {
                    kind: NodeKind::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    pos,
                };
                self.finish(node, anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push((
                Node {
                    kind: NodeKind::Seq(Vec::new()),
                    pos,
                },
                anchor,
            )),
            Event::MappingStart(anchor, _) => {
                self.pending_keys.push(None);
                self.stack.push((
                    Node {
                        kind: NodeKind::Map(Vec::new()),
                        pos,
                    },
                    anchor,
                ));
            }
            Event::SequenceEnd => {
                if let Some((node, anchor)) = self.stack.pop() {
                    self.finish(node, anchor);
                }
            }
            Event::MappingEnd => {
                self.pending_keys.pop();
                if let Some((node, anchor)) = self.stack.pop() {
                    self.finish(node, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(mut node) => {
                    node.pos = pos;
                    self.finish(node, 0);
                }
                None => {
                    if self.error.is_none() {
                        self.error = Some(SyntaxError {
                            pos,
                            message: "alias to an unknown anchor".into(),
                        });
                    }
                }
            },
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
    }
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
}
