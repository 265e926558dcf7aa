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
    /// Characters before each block of [`BLOCK`] bytes, so a column on a very
    /// long line is counted from the nearest block, not from the line start.
    block_chars: Vec<u32>,
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
    /// reported by [`crate::load()`] at the first bad byte, so it is a located
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

    /// Reads a registry file. Its display name is the path as given. A file
    /// that is not a regular file, or that a symlink leads out of its own
    /// directory or into `.git/`, is refused: findings quote the registry's
    /// lines, and a registry is read in CI from whoever opened the pull request.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, crate::Error> {
        let path = path.as_ref();
        let bytes =
            read_contained(path, dir_of(path), u64::MAX).map_err(|e| crate::Error::io(path, e))?;
        let mut source = Self::from_bytes(path.display().to_string(), bytes);
        source.path = path.to_path_buf();
        Ok(source)
    }

    fn build(path: PathBuf, name: String, text: String, invalid_utf8_at: Option<u32>) -> Self {
        let line_starts = std::iter::once(0)
            .chain(memchr_newlines(&text).map(|i| i as u32 + 1))
            .collect();
        let mut block_chars = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut chars = 0u32;
        for block in text.as_bytes().chunks(BLOCK) {
            block_chars.push(chars);
            chars += block.iter().filter(|&&b| is_char_start(b)).count() as u32;
        }
        block_chars.push(chars);
        Self {
            name,
            path,
            text,
            line_starts,
            block_chars,
            invalid_utf8_at,
        }
    }

    /// The number of characters in `text[..i]`, `i` a character boundary.
    fn chars_before(&self, i: usize) -> usize {
        let block = i / BLOCK;
        let from = block * BLOCK;
        self.block_chars[block] as usize
            + self.text.as_bytes()[from..i]
                .iter()
                .filter(|&&b| is_char_start(b))
                .count()
    }

    /// The byte offset of the character numbered `n` (0-based), or the
    /// text's length past the last.
    fn offset_of_char(&self, n: usize) -> usize {
        // The last block whose first character is at or before `n`.
        let block = self.block_chars.partition_point(|&c| c as usize <= n);
        if block >= self.block_chars.len() {
            return self.text.len();
        }
        let block = block.saturating_sub(1);
        let mut seen = self.block_chars[block] as usize;
        let bytes = self.text.as_bytes();
        for (i, &b) in bytes.iter().enumerate().skip(block * BLOCK) {
            if is_char_start(b) {
                if seen == n {
                    return i;
                }
                seen += 1;
            }
        }
        self.text.len()
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
        let column = if self.text.is_char_boundary(start) {
            self.chars_before(start) - self.chars_before(line_start)
        } else {
            start - line_start
        };
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
        let skip = column.saturating_sub(1) as usize;
        self.offset_of_char(self.chars_before(line_start as usize) + skip)
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

/// Bytes per block of [`Source::block_chars`].
const BLOCK: usize = 1024;

/// The byte starts a character (it is not a UTF-8 continuation byte).
fn is_char_start(b: u8) -> bool {
    b & 0xC0 != 0x80
}

/// The registry file for a command run in `dir`: `ports.yaml` in `dir` or the
/// nearest parent that has one, as cargo finds `Cargo.toml`.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("ports.yaml"))
        .find(|p| p.is_file())
}

/// The directory a file is in: its parent, or `.` for a bare file name.
pub(crate) fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == b'\n').then_some(i))
}

/// Reads `path` if it is a regular file of at most `max` bytes that lies,
/// with every symlink followed, inside the directory `within` and outside
/// `.git/` there. A repository's own files name what is read, so anything
/// else (a link to a key elsewhere, a FIFO, `/dev/zero`) is an error.
pub(crate) fn read_contained(path: &Path, within: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    let real_dir = within.canonicalize()?;
    let real = path.canonicalize()?;
    let inside = real.strip_prefix(&real_dir).is_ok_and(|rest| {
        !rest
            .components()
            .any(|c| c.as_os_str().eq_ignore_ascii_case(".git"))
    });
    if !inside {
        return Err(Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "leads to {} through a symlink, outside its directory or into .git/; Portolan does not read it",
                real.display()
            ),
        ));
    }
    // Checked before opening: opening a FIFO would wait for a writer.
    if !std::fs::metadata(&real)?.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "is not a regular file (a FIFO, socket or device)",
        ));
    }
    let file = std::fs::File::open(&real)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "is not a regular file (a FIFO, socket or device)",
        ));
    }
    if meta.len() > max {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("is larger than {max} bytes"),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_file_name_is_in_the_current_directory() {
        // `Path::parent` gives "" here, which canonicalizes to nothing.
        assert_eq!(dir_of(Path::new("ports.yaml")), Path::new("."));
        assert_eq!(dir_of(Path::new("infra/ports.yaml")), Path::new("infra"));
        assert_eq!(dir_of(Path::new("/ports.yaml")), Path::new("/"));
    }

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

    /// Columns and offsets from the block index agree with counting from the
    /// line start, on long lines of mixed widths that straddle blocks.
    #[test]
    fn block_counts_agree_with_counting_from_the_line_start() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push(['a', 'é', '€', '🚀', ' '][i % 5]);
            if i % 997 == 0 {
                text.push('\n');
            }
        }
        let src = Source::new("x.yaml", text.clone());
        for (start, _) in text.char_indices().step_by(7) {
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let column = text[line_start..start].chars().count() + 1;
            let span = src.span(start, 1);
            assert_eq!(span.column as usize, column, "at {start}");
            assert_eq!(src.offset_of(span.line, span.column), start);
        }
        // Past the end of a line runs on into the next; past the text, its end.
        assert_eq!(src.offset_of(1, 100_000), text.len());
        assert_eq!(src.offset_of(2, 1), text.find('\n').unwrap() + 1);
        assert_eq!(src.offset_of(99, 1), text.len());
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
