//! The process-wide interner: one copy of each name part, note and
//! condition, shared by every table in the process.
//!
//! Two tables read from two snapshots hold the same [`Name`] for the same
//! text and the same cell code for the same condition, so comparing them is
//! comparing integers, and a change or a violation holds handles instead of
//! strings. Interned text lives as long as the process: a studio's names and
//! conditions are a few thousand distinct strings, repeated in every
//! snapshot, so nothing grows with the number of tables read.
//!
//! ```
//! use sgperms::intern::{condition_code, condition_text, Name};
//!
//! let a = Name::from("Asset");
//! assert_eq!(a, Name::from(String::from("Asset").as_str()));
//! assert_eq!(a.as_str(), "Asset");
//! let code = condition_code("if on their project");
//! assert_eq!(code, condition_code("if on their project"));
//! assert_eq!(condition_text(code), "if on their project");
//! ```

use std::sync::{LazyLock, PoisonError, RwLock};

use indexmap::IndexSet;

use crate::model::FIRST_CONDITION;

/// An interned string: 8 bytes, `Copy`, equal when the pointers are (the
/// hash is computed once, at interning). Orders by text.
///
/// `ustr` earns its place over a hand-written table: reads need no lock, the
/// handle is a plain pointer and its hash is precomputed, which is what
/// makes targets `Copy` and hashing a row key cheap.
pub type Name = ustr::Ustr;

/// Condition texts (with their `if ` prefix) in order of first use; the
/// index plus [`FIRST_CONDITION`] is the cell code.
static CONDITIONS: LazyLock<RwLock<IndexSet<&'static str>>> =
    LazyLock::new(|| RwLock::new(IndexSet::new()));

/// The cell code of a condition text (`if <condition>`, canonical), interning
/// it on first use. Returns a code from [`FIRST_CONDITION`] on.
pub fn condition_code(text: &str) -> u32 {
    if let Some(code) = existing_condition_code(text) {
        return code;
    }
    let mut conditions = CONDITIONS.write().unwrap_or_else(PoisonError::into_inner);
    let index = match conditions.get_index_of(text) {
        Some(index) => index,
        // Leaked on purpose: interned texts live as long as the process.
        None => conditions.insert_full(Box::leak(Box::from(text))).0,
    };
    code_of(index)
}

/// The cell code of a condition text if some table has used it.
pub fn existing_condition_code(text: &str) -> Option<u32> {
    let conditions = CONDITIONS.read().unwrap_or_else(PoisonError::into_inner);
    conditions.get_index_of(text).map(code_of)
}

/// The text (with its `if ` prefix) of a condition code from
/// [`condition_code`]. Panics on a code no condition was given, which no
/// table holds.
pub fn condition_text(code: u32) -> &'static str {
    let conditions = CONDITIONS.read().unwrap_or_else(PoisonError::into_inner);
    conditions[(code - FIRST_CONDITION) as usize]
}

fn code_of(index: usize) -> u32 {
    // Four billion distinct conditions would exhaust memory long before.
    FIRST_CONDITION + u32::try_from(index).expect("fewer than 2^32 conditions")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_shared_and_stable_across_threads() {
        let texts: Vec<String> = (0..200).map(|i| format!("if interner test {i}")).collect();
        let codes: Vec<Vec<u32>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| texts.iter().map(|t| condition_code(t)).collect()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(codes.windows(2).all(|w| w[0] == w[1]));
        for (text, &code) in texts.iter().zip(&codes[0]) {
            assert!(code >= FIRST_CONDITION);
            assert_eq!(condition_text(code), text);
            assert_eq!(existing_condition_code(text), Some(code));
        }
        assert_eq!(existing_condition_code("if never interned anywhere"), None);
    }

    #[test]
    fn names_keep_every_byte() {
        for text in ["", "a\0b", "é\u{202e}x", "\r\n\t", &"long ".repeat(10_000)] {
            let name = Name::from(text);
            assert_eq!(name.as_str(), text);
            assert_eq!(name, Name::from(String::from(text).as_str()));
        }
        assert!(Name::from("Asset") < Name::from("Shot"));
    }
}
