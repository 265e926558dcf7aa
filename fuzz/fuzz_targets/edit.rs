//! The byte-faithful YAML editor on arbitrary documents and edits: when an
//! edit is accepted, the result parses, the edited value reads back, applying
//! it again changes nothing, and no line but the edited value's is touched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portolan::edit::{Current, Document, Value};
use portolan::model::KeyPath;

fuzz_target!(|data: &[u8]| {
    // Layout: key path, 0xFF, value, 0xFF, document.
    let mut parts = data.splitn(3, |&b| b == 0xFF);
    let (Some(key), Some(value), Some(doc)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let (Ok(key), Ok(value), Ok(text)) = (
        std::str::from_utf8(key),
        std::str::from_utf8(value),
        std::str::from_utf8(doc),
    ) else {
        return;
    };
    let Ok(path) = KeyPath::parse(key) else {
        return;
    };
    let value = Value::from_rendered(value);
    let Ok(doc) = Document::parse(text) else {
        return;
    };
    let before = doc.get(&path);
    let Ok(result) = doc.apply(&[(path.clone(), value.clone())], &[]) else {
        return;
    };
    let new = result.unwrap_or_else(|| text.to_owned());
    let reread = Document::parse(&new).expect("an accepted edit gives a document that parses");
    assert_eq!(
        reread.get(&path),
        Ok(Current::Scalar(value.as_text())),
        "the edited value reads back"
    );
    assert_eq!(
        reread.apply(&[(path.clone(), value.clone())], &[]),
        Ok(None),
        "applying again changes nothing"
    );
    if matches!(before, Ok(Current::Scalar(_))) {
        // An existing scalar is replaced in place, in one splice.
        // Compared by bytes, then moved back to character boundaries.
        let mut prefix = text
            .bytes()
            .zip(new.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !text.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let mut suffix = text[prefix..]
            .bytes()
            .rev()
            .zip(new[prefix..].bytes().rev())
            .take_while(|(a, b)| a == b)
            .count();
        while !text.is_char_boundary(text.len() - suffix)
            || !new.is_char_boundary(new.len() - suffix)
        {
            suffix -= 1;
        }
        let removed = &text[prefix..text.len() - suffix];
        let added = &new[prefix..new.len() - suffix];
        // A multi-line scalar is one value: its continuation lines go with
        // it, but no line of another entry may. A continuation line that
        // looks like `key: value` outside quotes is another entry.
        assert!(
            !added.contains('\n'),
            "the new value spans lines: {added:?}"
        );
        let line_start = text[..prefix].rfind('\n').map_or(0, |i| i + 1);
        let quoted =
            text[line_start..prefix].contains(['"', '\'']) || removed.contains(['"', '\'']);
        // Judge whole words: the bytes the splice kept may end the value with
        // `:"`, which is text, not a key (but what follows a space, such as a
        // comment, is not the value's).
        let end = text.len() - suffix;
        let word_end = text[end..]
            .find(char::is_whitespace)
            .map_or(text.len(), |i| end + i);
        for line in text[line_start..word_end].split('\n').skip(1) {
            let entry =
                line.trim_start().split_once(": ").is_some() || line.trim_end().ends_with(':');
            assert!(
                quoted || !entry,
                "an existing value took another entry's line with it: {removed:?} -> {added:?}"
            );
        }
    }
});
