//! CSV cells that a spreadsheet program cannot take for a formula ("CSV injection", OWASP):
//! a cell a person or a device wrote that begins with `=`, `+`, `-`, `@`, a tab or a carriage
//! return is opened by Excel, WPS or LibreOffice as a formula (`=HYPERLINK(...)`,
//! `@SUM(...)`), so every CSV export passes each cell through [`cell`], which puts a single
//! quote before such a cell: the spreadsheet shows the text as written, with the quote. A
//! number (`-600`, `-0.250`) stays a number: a signed mass difference is data, not a formula.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula when they come first.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` as a CSV cell no spreadsheet runs: prefixed with `'` when it would start a formula
/// and is not a plain number.
pub fn cell(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(c) if FORMULA_STARTS.contains(&c) && !is_number(text) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// A plain decimal number with an optional sign: digits, at most one point between digits.
fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let frac = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_would_start_a_formula_is_quoted() {
        for (raw, safe) in [
            (
                "=HYPERLINK(\"http://x\",\"点我\")",
                "'=HYPERLINK(\"http://x\",\"点我\")",
            ),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-1.", "'-1."),
            ("--1", "'--1"),
        ] {
            assert_eq!(cell(raw), safe, "{raw:?}");
        }
    }

    #[test]
    fn numbers_and_plain_text_stay_as_they_are() {
        for raw in [
            "",
            "-600",
            "-0.250",
            "+12",
            "12.5",
            "废矿物油",
            "900-249-08",
            "A=B",
            "渝D12345",
        ] {
            assert_eq!(cell(raw), raw, "{raw:?}");
        }
    }
}
