//! The text of a registry file and the map from byte offsets to lines and columns.

use std::fmt;
use std::path::{Path, PathBuf};

/// A location in a [`Source`]: a byte range plus the 1-based line and column
/// (in characters) of its start, so a diagnostic can print `ports.yaml:14:11`
/// without going back to the text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, counted in characters.
    pub column: u32,
}

impl Span {
    /// The byte range, for slicing the source text.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A registry file: its display name (as the user spelled the path), its
/// text and the offsets at which its lines start.
#[derive(Clone, Debug)]
pub struct Source {
    name: String,
    path: PathBuf,
    text: String,
    line_starts: Vec<u32>,
    /// Byte offset of the first byte that was not valid UTF-8, if any; the
    /// text then holds a lossy copy and `load` reports the offset.
    invalid_utf8_at: Option<u32>,
}

impl Source {
    /// A source from text already in memory; `name` is what diagnostics print.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let name = name.into();
        Self::build(PathBuf::from(&name), name, text.into(), None)
    }

    /// A source from raw bytes. Invalid UTF-8 is kept as a lossy copy and
    /// reported by [`crate::load`] at the first bad byte, so it is a located
    /// finding rather than an I/O failure.
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        let name = name.into();
        match String::from_utf8(bytes) {
            Ok(text) => Self::build(PathBuf::from(&name), name, text, None),
            Err(e) => {
                let at = e.utf8_error().valid_up_to() as u32;
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                Self::build(PathBuf::from(&name), name, text, Some(at))
            }
        }
    }

    /// Reads a file. Its display name is the path as given.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, crate::Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| crate::Error::io(path, e))?;
        let mut source = Self::from_bytes(path.display().to_string(), bytes);
        source.path = path.to_path_buf();
        Ok(source)
    }

    fn build(path: PathBuf, name: String, text: String, invalid_utf8_at: Option<u32>) -> Self {
        let line_starts = std::iter::once(0)
            .chain(memchr_newlines(&text).map(|i| i as u32 + 1))
            .collect();
        Self {
            name,
            path,
            text,
            line_starts,
            invalid_utf8_at,
        }
    }

    /// What diagnostics call this file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the file was read from (equal to the name for in-memory sources).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn invalid_utf8_at(&self) -> Option<u32> {
        self.invalid_utf8_at
    }

    /// The span of `len` bytes starting at byte `start`.
    pub fn span(&self, start: usize, len: usize) -> Span {
        let start = start.min(self.text.len());
        let end = (start + len).min(self.text.len());
        let line_index = self.line_starts.partition_point(|&s| s as usize <= start) - 1;
        let line_start = self.line_starts[line_index] as usize;
        let column = self
            .text
            .get(line_start..start)
            .map_or(start - line_start, |s| s.chars().count());
        Span {
            start: start as u32,
            end: end as u32,
            line: line_index as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// The byte offset of a 1-based line and character column (clamped to the text).
    pub fn offset_of(&self, line: u32, column: u32) -> usize {
        let Some(&line_start) = self.line_starts.get(line.saturating_sub(1) as usize) else {
            return self.text.len();
        };
        let rest = &self.text[line_start as usize..];
        let skip = column.saturating_sub(1) as usize;
        line_start as usize + rest.char_indices().nth(skip).map_or(rest.len(), |(i, _)| i)
    }

    /// The byte range of the whole lines that hold bytes `lo..hi`, and the
    /// 1-based number of the first of them.
    pub fn lines_around(&self, lo: usize, hi: usize) -> (std::ops::Range<usize>, usize) {
        let lo = lo.min(self.text.len());
        let hi = hi.clamp(lo, self.text.len());
        let first = self.line_starts.partition_point(|&s| s as usize <= lo) - 1;
        // The line after the one holding the last byte (or `hi` itself for an empty span).
        let last_byte = if hi > lo { hi - 1 } else { hi };
        let after = self
            .line_starts
            .partition_point(|&s| s as usize <= last_byte);
        let end = self
            .line_starts
            .get(after)
            .map_or(self.text.len(), |&s| s as usize);
        (self.line_starts[first] as usize..end.max(hi), first + 1)
    }

    /// The text of a span.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// The registry file for a command run in `dir`: `ports.yaml` in `dir` or the
/// nearest parent that has one, as cargo finds `Cargo.toml`.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("ports.yaml"))
        .find(|p| p.is_file())
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == b'\n').then_some(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_around_covers_whole_lines() {
        let src = Source::new("f", "ab\ncd\nef");
        assert_eq!(src.lines_around(4, 5), (3..6, 2));
        assert_eq!(src.lines_around(1, 4), (0..6, 1));
        assert_eq!(src.lines_around(7, 8), (6..8, 3));
        // An empty span at a line start, and one at the very end.
        assert_eq!(src.lines_around(3, 3), (3..6, 2));
        assert_eq!(src.lines_around(8, 8), (6..8, 3));
    }

    #[test]
    fn spans_count_lines_and_characters() {
        let src = Source::new("x.yaml", "a: 1\nnäme: 2\n");
        let span = src.span(12, 1);
        assert_eq!((span.line, span.column), (2, 7));
        assert_eq!(src.slice(span), "2");
        assert_eq!(src.offset_of(2, 7), 12);
    }

    #[test]
    fn discover_walks_up_to_the_nearest_registry() {
        let root = std::env::temp_dir().join(format!("portolan-discover-{}", std::process::id()));
        let deep = root.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(root.join("ports.yaml"), "project: x\n").unwrap();
        assert_eq!(discover(&deep), Some(root.join("ports.yaml")));
        std::fs::write(root.join("a/ports.yaml"), "project: y\n").unwrap();
        assert_eq!(discover(&deep), Some(root.join("a/ports.yaml")));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn invalid_utf8_is_kept_with_its_offset() {
        let src = Source::from_bytes("x.yaml", b"a: \xff\n".to_vec());
        assert_eq!(src.invalid_utf8_at(), Some(3));
    }
}
