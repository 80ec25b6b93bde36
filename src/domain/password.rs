//! The password rule: a new password is 10 to 256 characters long and is none of the guesses an
//! attacker tries first. Refused, each with its reason (code `weak_password`): one of the
//! commonest passwords (`seeds/common-passwords.txt`), also with digits or punctuation around it
//! ("password2026!") or in look-alike spelling ("p@ssw0rd"); one character or a short pattern
//! repeated ("aaaaaaaaaa", "abcabcabcabc"), or fewer than five different characters; runs of the
//! alphabet, of digits or of keyboard keys ("abcdefghij", "1234567890", "qwertyuiop", "1qaz2wsx",
//! forwards or backwards, also joined: "qwertyuiopasdf"); the username inside it. Letters are
//! compared without case. Pure: the list is compiled in.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::Refusal;

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 256;
/// Fewer different characters than this is too few.
pub const MIN_DISTINCT_CHARS: usize = 5;
/// The shortest run of a sequence that counts as one (a password made only of such runs, or of
/// one character repeated this often, is refused).
const MIN_RUN: usize = 3;
/// A username shorter than this is not looked for inside the password.
const MIN_USERNAME_FOUND: usize = 3;

const COMMON_LIST: &str = include_str!("../../seeds/common-passwords.txt");

/// Orders people type keys and characters in: the alphabet, digits (0 after 9 too, as on a
/// keyboard), the keyboard's rows and its columns. Their reverses count as well.
const SEQUENCES: [&str; 7] = [
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
];

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// Shorter than [`MIN_PASSWORD_LEN`] or longer than [`MAX_PASSWORD_LEN`] characters.
    Length,
    /// The username is in it.
    ContainsUsername,
    /// One character or a short pattern repeated, or too few different characters.
    Repeated,
    /// Runs of the alphabet, digits or keyboard keys.
    Sequence,
    /// One of the commonest passwords.
    Common,
}

impl Weakness {
    pub fn refusal(self) -> Refusal {
        let (en, zh) = match self {
            Weakness::Length => (
                format!("password must be {MIN_PASSWORD_LEN}-{MAX_PASSWORD_LEN} characters"),
                format!("密码长度应为{MIN_PASSWORD_LEN}-{MAX_PASSWORD_LEN}个字符"),
            ),
            Weakness::ContainsUsername => (
                "password must not contain the username".to_owned(),
                "密码不得包含用户名".to_owned(),
            ),
            Weakness::Repeated => (
                format!(
                    "password is one character or a short pattern repeated, or has fewer than \
                     {MIN_DISTINCT_CHARS} different characters; a few unrelated words make a good password"
                ),
                format!("密码由同一字符或一小段字符重复组成，或不同字符少于{MIN_DISTINCT_CHARS}个；可用几个互不相关的词组成密码"),
            ),
            Weakness::Sequence => (
                "password is a run of the alphabet, of digits or of keyboard keys (such as abcdefghij, \
                 1234567890 or qwertyuiop); a few unrelated words make a good password"
                    .to_owned(),
                "密码由连续的字母、数字或键盘按键组成（如abcdefghij、1234567890、qwertyuiop）；可用几个互不相关的词组成密码"
                    .to_owned(),
            ),
            Weakness::Common => (
                "password is one of the commonest passwords, or one of them with digits or symbols added; \
                 a few unrelated words make a good password"
                    .to_owned(),
                "密码属于最常见的密码，或只是在常见密码前后加了数字或符号；可用几个互不相关的词组成密码".to_owned(),
            ),
        };
        Refusal::invalid("weak_password", en, zh)
    }
}

/// Checks a new password for the account `username`.
pub fn check(password: &str, username: &str) -> Result<(), Refusal> {
    weakness(password, username).map_or(Ok(()), |w| Err(w.refusal()))
}

/// The first reason to refuse `password` for `username`, if there is one.
pub fn weakness(password: &str, username: &str) -> Option<Weakness> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&n) {
        return Some(Weakness::Length);
    }
    let lower = password.to_lowercase();
    let user = username.to_lowercase();
    if user.chars().count() >= MIN_USERNAME_FOUND && lower.contains(&user) {
        return Some(Weakness::ContainsUsername);
    }
    let chars: Vec<char> = lower.chars().collect();
    if is_repeated(&chars) {
        return Some(Weakness::Repeated);
    }
    if is_runs(&chars) {
        return Some(Weakness::Sequence);
    }
    if is_common(&lower) {
        return Some(Weakness::Common);
    }
    None
}

/// Few different characters, or a pattern of at most half the length repeated (the last
/// repetition may be cut short: "abcabcabcab").
fn is_repeated(chars: &[char]) -> bool {
    let distinct: HashSet<char> = chars.iter().copied().collect();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return true;
    }
    (1..=chars.len() / 2).any(|p| chars.iter().zip(&chars[p..]).all(|(a, b)| a == b))
}

/// Whether `piece` (at least [`MIN_RUN`] characters) is a run of one sequence, either way, or
/// one character repeated.
fn is_run(piece: &[char]) -> bool {
    if piece.iter().all(|c| *c == piece[0]) {
        return true;
    }
    let text: String = piece.iter().collect();
    let reversed: String = piece.iter().rev().collect();
    SEQUENCES.iter().any(|s| s.contains(&text) || s.contains(&reversed))
}

/// Whether the whole password splits into runs ([`is_run`]), each at least [`MIN_RUN`] long.
fn is_runs(chars: &[char]) -> bool {
    // ends[i]: the first i characters split into runs.
    let mut ends = vec![false; chars.len() + 1];
    ends[0] = true;
    for i in MIN_RUN..=chars.len() {
        ends[i] = (0..=i - MIN_RUN).any(|j| ends[j] && is_run(&chars[j..i]));
    }
    ends[chars.len()]
}

fn common_list() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        COMMON_LIST
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Digits, punctuation and spaces: what people put around a word to pass a rule.
fn is_padding(c: char) -> bool {
    c.is_ascii_digit() || c.is_ascii_punctuation() || c.is_whitespace()
}

/// Look-alike spelling read as letters: `p@ssw0rd` is `password`.
fn plain_letters(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            other => other,
        })
        .collect()
}

/// Whether the (lower-case) password is a listed one, alone, padded, or in look-alike spelling.
fn is_common(lower: &str) -> bool {
    let list = common_list();
    let plain = plain_letters(lower);
    let mut candidates = Vec::with_capacity(8);
    // Padding on both sides, after, or before.
    let trims: [fn(&str) -> String; 3] = [
        |s| s.trim_matches(is_padding).to_owned(),
        |s| s.trim_end_matches(is_padding).to_owned(),
        |s| s.trim_start_matches(is_padding).to_owned(),
    ];
    for trim in trims {
        let trimmed = trim(lower);
        candidates.push(plain_letters(&trimmed));
        candidates.push(trimmed);
        candidates.push(trim(&plain));
    }
    candidates.push(lower.to_owned());
    candidates.iter().any(|c| !c.is_empty() && list.contains(c.as_str()))
}

#[cfg(test)]
mod tests {
    use super::{check, common_list, weakness, Weakness};

    #[test]
    fn good_passwords_pass() {
        for (p, user) in [
            ("correct horse battery", "admin"),
            ("hwtrace-demo-2026", "wansheng-eeb"),
            ("a long enough password", "admin"),
            ("渝南处置中心的仓库钥匙", "yunan"),
            ("Tr4ck-every-drum!", "driver-li"),
            ("river stone lantern 9", "gate"),
        ] {
            assert_eq!(weakness(p, user), None, "{p}");
            assert!(check(p, user).is_ok());
        }
    }

    #[test]
    fn too_short_or_too_long_is_refused() {
        assert_eq!(weakness("short", "admin"), Some(Weakness::Length));
        assert_eq!(weakness("nine char", "admin"), Some(Weakness::Length));
        assert_eq!(weakness(&"ab cd ".repeat(43), "admin"), Some(Weakness::Length));
        // Characters, not bytes: ten Chinese characters are enough.
        assert_eq!(weakness("危险废物全过程追溯好", "admin"), None);
    }

    #[test]
    fn identical_characters_and_repeated_patterns_are_refused() {
        for p in [
            "aaaaaaaaaa",
            "1111111111",
            "AAAAAaaaaa",
            "abcabcabcabc",
            "abcabcabcab",
            "xy12xy12xy12",
            "passwordpassword",
            "aaaaabbbbb",
            "1212121213",
        ] {
            assert_eq!(weakness(p, "admin"), Some(Weakness::Repeated), "{p}");
        }
    }

    #[test]
    fn alphabet_digit_and_keyboard_runs_are_refused() {
        for p in [
            "1234567890",
            "0987654321",
            "abcdefghij",
            "ABCDEFGHIJKL",
            "jihgfedcba",
            "qwertyuiop",
            "poiuytrewq",
            "qwertyuiopasdf",
            "1qaz2wsx3edc",
            "abc1234567",
            "zxcvbnm123",
            "aaaa1234567",
        ] {
            let w = weakness(p, "admin");
            assert!(
                matches!(w, Some(Weakness::Sequence) | Some(Weakness::Repeated)),
                "{p}: {w:?}"
            );
        }
        assert_eq!(weakness("1234567890", "admin"), Some(Weakness::Sequence));
        assert_eq!(weakness("qwertyuiop", "admin"), Some(Weakness::Sequence));
        assert_eq!(weakness("abcdefghij", "admin"), Some(Weakness::Sequence));
        // A run inside other words is not the whole password.
        assert_eq!(weakness("abc lantern stone", "admin"), None);
    }

    #[test]
    fn common_passwords_padded_or_disguised_are_refused() {
        for p in [
            "iloveyou1314",
            "password2026",
            "Password123!",
            "P@ssw0rd2026",
            "woaini1314520",
            "qwerty123456",
            "2026-sunshine!",
            "administrator",
            "1qaz2wsx!@#",
        ] {
            let w = weakness(p, "someone");
            assert!(
                matches!(w, Some(Weakness::Common) | Some(Weakness::Sequence)),
                "{p}: {w:?}"
            );
        }
        assert_eq!(weakness("password2026", "someone"), Some(Weakness::Common));
        assert_eq!(weakness("P@ssw0rd2026", "someone"), Some(Weakness::Common));
        assert_eq!(weakness("iloveyou1314", "someone"), Some(Weakness::Common));
    }

    #[test]
    fn the_username_inside_is_refused() {
        assert_eq!(
            weakness("yunan-gate-2026", "yunan-gate"),
            Some(Weakness::ContainsUsername)
        );
        assert_eq!(
            weakness("My name is Driver-Li!", "driver-li"),
            Some(Weakness::ContainsUsername)
        );
        // Too short a username to look for.
        assert_eq!(weakness("correct horse battery", "or"), None);
    }

    #[test]
    fn the_list_is_lower_case_and_has_hundreds_of_entries() {
        let list = common_list();
        assert!(list.len() > 300, "{}", list.len());
        for p in list {
            assert_eq!(*p, p.to_lowercase(), "{p}");
            assert!(!p.contains(char::is_whitespace), "{p}");
        }
    }

    #[test]
    fn every_refusal_says_why_in_both_languages() {
        for w in [
            Weakness::Length,
            Weakness::ContainsUsername,
            Weakness::Repeated,
            Weakness::Sequence,
            Weakness::Common,
        ] {
            let r = w.refusal();
            assert_eq!(r.code, "weak_password");
            assert!(r.message.starts_with("password"), "{}", r.message);
            assert!(r.message_zh.starts_with("密码"), "{}", r.message_zh);
        }
    }
}
