//! Where a configuration problem is: its line and its key path.
//!
//! The file is parsed a second time with `toml_edit`, which keeps the byte span of every key
//! and value, into a small tree of [`Node`]s. A deserialization error carries a span: the
//! deepest node containing it names the key. A semantic problem carries a key path: walking
//! the tree finds its span, hence its line (for a key left out, the line of the nearest
//! table that is there).

use std::ops::Range;

use toml_edit::{ImDocument, Item, Value};

use super::check::{Problem, Seg};
use super::ConfigError;

/// One key or value of the file.
#[derive(Debug, Default)]
struct Node {
    /// The span of the key (for a table, of its header).
    key: Option<Range<usize>>,
    /// The span of the value.
    value: Option<Range<usize>>,
    children: Vec<(Seg, Node)>,
}

impl Node {
    fn first_offset(&self) -> Option<usize> {
        match (&self.key, &self.value) {
            (Some(k), _) => Some(k.start),
            (None, Some(v)) => Some(v.start),
            _ => None,
        }
    }

    fn contains(&self, pos: usize) -> bool {
        let inside = |r: &Option<Range<usize>>| r.as_ref().is_some_and(|r| r.contains(&pos));
        inside(&self.key) || inside(&self.value)
    }
}

fn from_item(key: Option<Range<usize>>, item: &Item) -> Node {
    let mut n = Node {
        key,
        value: item.span(),
        children: Vec::new(),
    };
    match item {
        Item::Value(v) => return from_value(n.key, v),
        Item::Table(t) => add_table(&mut n, t),
        Item::ArrayOfTables(a) => {
            for (i, t) in a.iter().enumerate() {
                let mut c = Node {
                    key: t.span(),
                    value: t.span(),
                    children: Vec::new(),
                };
                add_table(&mut c, t);
                n.children.push((Seg::Index(i), c));
            }
        }
        Item::None => {}
    }
    n
}

fn add_table(n: &mut Node, t: &dyn toml_edit::TableLike) {
    for (k, _) in t.iter() {
        if let Some((key, item)) = t.get_key_value(k) {
            n.children
                .push((Seg::Key(k.to_string()), from_item(key.span(), item)));
        }
    }
}

fn from_value(key: Option<Range<usize>>, v: &Value) -> Node {
    let mut n = Node {
        key,
        value: v.span(),
        children: Vec::new(),
    };
    match v {
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                n.children.push((Seg::Index(i), from_value(None, e)));
            }
        }
        Value::InlineTable(t) => add_table(&mut n, t),
        _ => {}
    }
    n
}

/// Lines and key paths of one file.
#[derive(Debug)]
pub(super) struct Locator<'a> {
    text: &'a str,
    root: Node,
}

impl<'a> Locator<'a> {
    /// Index `text` (a file that does not parse gives an empty index).
    pub(super) fn new(text: &'a str) -> Self {
        let root = match ImDocument::parse(text) {
            Ok(doc) => {
                let mut n = Node::default();
                add_table(&mut n, doc.as_table());
                n
            }
            Err(_) => Node::default(),
        };
        Locator { text, root }
    }

    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// The key path of the deepest key or value containing `pos`.
    fn path_at(&self, pos: usize) -> Vec<Seg> {
        fn walk(n: &Node, pos: usize, path: &mut Vec<Seg>, best: &mut Vec<Seg>) {
            for (seg, c) in &n.children {
                path.push(seg.clone());
                if c.contains(pos) && path.len() > best.len() {
                    *best = path.clone();
                }
                walk(c, pos, path, best);
                path.pop();
            }
        }
        let mut best = Vec::new();
        walk(&self.root, pos, &mut Vec::new(), &mut best);
        best
    }

    /// The line of `path`, or of its nearest ancestor written in the file.
    fn line_of_path(&self, path: &[Seg]) -> Option<usize> {
        let mut node = &self.root;
        let mut at = None;
        for seg in path {
            match node.children.iter().find(|(s, _)| s == seg) {
                Some((_, c)) => {
                    node = c;
                    at = c.first_offset().or(at);
                }
                None => break,
            }
        }
        at.map(|o| self.line_of(o))
    }

    /// A semantic problem, placed.
    pub(super) fn locate(&self, p: Problem) -> ConfigError {
        ConfigError {
            line: self.line_of_path(&p.path),
            key: (!p.path.is_empty()).then(|| render(&p.path)),
            message: p.message,
        }
    }
}

/// `server.peers[1].address`.
pub(crate) fn render(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// A deserialization error, placed: its line and the key its span falls in.
pub(super) fn from_toml_error(text: &str, e: &toml::de::Error) -> ConfigError {
    let message = e.message().trim().replace('\n', "; ");
    let Some(span) = e.span() else {
        return ConfigError {
            line: None,
            key: None,
            message,
        };
    };
    let loc = Locator::new(text);
    let path = loc.path_at(span.start);
    ConfigError {
        line: Some(loc.line_of(span.start)),
        key: (!path.is_empty()).then(|| render(&path)),
        message,
    }
}
