//! Free-text fields (names, addresses, contacts): trimmed, non-empty, bounded, no control
//! characters. Each refusal names the field.

use super::refusal::Refusal;

/// Checks a required text field of at most `max_chars` characters.
pub fn required(field: &str, value: &str, max_chars: usize) -> Result<String, Refusal> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Refusal::invalid(
            "missing_field",
            format!("{field} must not be empty"),
            format!("{field}不能为空"),
        ));
    }
    if v.chars().count() > max_chars {
        return Err(Refusal::invalid(
            "field_too_long",
            format!("{field} is longer than {max_chars} characters"),
            format!("{field}超过{max_chars}个字符"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(Refusal::invalid(
            "bad_text",
            format!("{field} contains control characters"),
            format!("{field}包含控制字符"),
        ));
    }
    Ok(v.to_owned())
}

/// An optional text field: absent or blank is `None`.
pub fn optional(field: &str, value: Option<&str>, max_chars: usize) -> Result<Option<String>, Refusal> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required(field, v, max_chars).map(Some),
    }
}

/// A telephone number: digits with optional `+`, `-`, spaces and parentheses, 5–20 characters.
pub fn phone(field: &str, value: &str) -> Result<String, Refusal> {
    let v = value.trim();
    let ok = (5..=20).contains(&v.len())
        && v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b' ' | b'(' | b')'));
    if ok {
        Ok(v.to_owned())
    } else {
        Err(Refusal::invalid(
            "bad_phone",
            format!("{field} '{v}' is not a telephone number"),
            format!("{field}“{v}”不是有效的电话号码"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rules() {
        assert_eq!(required("name_zh", "  万盛 ", 10).unwrap(), "万盛");
        assert_eq!(required("name_zh", " ", 10).unwrap_err().code, "missing_field");
        assert_eq!(required("name_zh", "一二三", 2).unwrap_err().code, "field_too_long");
        assert_eq!(required("name_zh", "a\u{7}b", 10).unwrap_err().code, "bad_text");
        assert_eq!(optional("name_en", Some(""), 10).unwrap(), None);
        assert_eq!(phone("contact_phone", "023-6000 0001").unwrap(), "023-6000 0001");
        assert_eq!(phone("contact_phone", "call me").unwrap_err().code, "bad_phone");
    }

    proptest! {
        #[test]
        fn garbage_never_panics(s in "\\PC{0,50}") {
            let _ = required("f", &s, 20);
            let _ = phone("f", &s);
        }
    }
}
