//! Hazard pictograms (危险特性警示图形) for the five hazard characteristics, as inline SVG.
//!
//! Each is a diamond with a heavy black border and a black symbol on white, in the look of the GB 15562 and
//! HJ 1276-2022 warning graphics, drawn in black only because most label printers are monochrome thermal
//! printers. The shapes are simplified redrawings, distinct enough to tell apart at 10 mm; each carries a
//! `<title>` with its Chinese name so screen readers and copy-paste keep the meaning. All share a
//! `0 0 100 100` view box and no fixed size, so the page decides how large they print.

/// The SVG of the pictogram for a hazard letter (`T`, `C`, `I`, `R`, `In`), or `None` for anything else.
pub fn pictogram_svg(letter: &str) -> Option<&'static str> {
    match letter {
        "T" => Some(TOXIC),
        "C" => Some(CORROSIVE),
        "I" => Some(FLAMMABLE),
        "R" => Some(REACTIVE),
        "In" => Some(INFECTIOUS),
        _ => None,
    }
}

/// The Chinese name of a hazard letter, as on the label and in the pictogram titles.
pub fn hazard_name_zh(letter: &str) -> Option<&'static str> {
    match letter {
        "T" => Some("毒性"),
        "C" => Some("腐蚀性"),
        "I" => Some("易燃性"),
        "R" => Some("反应性"),
        "In" => Some("感染性"),
        _ => None,
    }
}

// The frame is repeated literally in each constant (rather than assembled at run time) so the function can
// hand out `&'static str` without allocation.

/// 毒性: skull and crossbones. The skull is drawn after the bones so it sits on top.
const TOXIC: &str = concat!(
    r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" class="pictogram" data-hazard="T" role="img">"##,
    r##"<title>毒性</title>"##,
    r##"<path d="M50 4L96 50L50 96L4 50Z" fill="#fff" stroke="#000" stroke-width="6" stroke-linejoin="miter"/>"##,
    r##"<g stroke="#000" stroke-width="4.5" stroke-linecap="round"><path d="M35 53L65 67M65 53L35 67"/></g>"##,
    r##"<g fill="#000"><circle cx="33.5" cy="51" r="3"/><circle cx="35.5" cy="55.5" r="3"/>"##,
    r##"<circle cx="66.5" cy="51" r="3"/><circle cx="64.5" cy="55.5" r="3"/>"##,
    r##"<circle cx="33.5" cy="69" r="3"/><circle cx="35.5" cy="64.5" r="3"/>"##,
    r##"<circle cx="66.5" cy="69" r="3"/><circle cx="64.5" cy="64.5" r="3"/>"##,
    r##"<circle cx="50" cy="40" r="12"/><rect x="43" y="45" width="14" height="11" rx="2.5"/></g>"##,
    r##"<g fill="#fff"><circle cx="45" cy="40" r="3.4"/><circle cx="55" cy="40" r="3.4"/>"##,
    r##"<path d="M50 44.5L52.2 48.5H47.8Z"/><rect x="46" y="52" width="1.6" height="4"/>"##,
    r##"<rect x="49.2" y="52" width="1.6" height="4"/><rect x="52.4" y="52" width="1.6" height="4"/></g>"##,
    r##"</svg>"##
);

/// 腐蚀性: two tubes dripping onto a bar and a hand, both with bites taken out of them.
const CORROSIVE: &str = concat!(
    r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" class="pictogram" data-hazard="C" role="img">"##,
    r##"<title>腐蚀性</title>"##,
    r##"<path d="M50 4L96 50L50 96L4 50Z" fill="#fff" stroke="#000" stroke-width="6" stroke-linejoin="miter"/>"##,
    r##"<g fill="#000">"##,
    r##"<rect x="37" y="27" width="6" height="16" rx="1" transform="rotate(-35 40 35)"/>"##,
    r##"<rect x="57" y="27" width="6" height="16" rx="1" transform="rotate(35 60 35)"/>"##,
    r##"<path d="M45 45q2.2 3.5 0 5q-2.2-1.5 0-5z"/><path d="M45 52.5q2.2 3.5 0 5q-2.2-1.5 0-5z"/>"##,
    r##"<path d="M55 45q2.2 3.5 0 5q-2.2-1.5 0-5z"/><path d="M55 52.5q2.2 3.5 0 5q-2.2-1.5 0-5z"/>"##,
    r##"<rect x="31" y="61" width="16" height="6"/>"##,
    r##"<rect x="54" y="63" width="14" height="5" rx="1.5"/>"##,
    r##"<rect x="54" y="57.5" width="2.8" height="7" rx="1.4"/>"##,
    r##"<rect x="57.7" y="56.5" width="2.8" height="8" rx="1.4"/>"##,
    r##"<rect x="61.4" y="57" width="2.8" height="7.5" rx="1.4"/>"##,
    r##"<rect x="65.1" y="58.5" width="2.8" height="6" rx="1.4"/>"##,
    r##"<rect x="33" y="70" width="34" height="2.2"/></g>"##,
    r##"<g fill="#fff"><path d="M37 61l2.5 3.2l2.5-3.2z"/><path d="M58 63l2 2.6l2-2.6z"/></g>"##,
    r##"</svg>"##
);

/// 易燃性: a flame over a bar, with a white inner tongue so it does not read as a blot.
const FLAMMABLE: &str = concat!(
    r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" class="pictogram" data-hazard="I" role="img">"##,
    r##"<title>易燃性</title>"##,
    r##"<path d="M50 4L96 50L50 96L4 50Z" fill="#fff" stroke="#000" stroke-width="6" stroke-linejoin="miter"/>"##,
    r##"<path fill="#000" d="M50 27C56 37 66 43 64 56C63 64 57 68 50 68C43 68 37 64 36 56C35 48 42 44 44 35"##,
    r##"C47 41 46 46 50 50C52 44 52 36 50 27Z"/>"##,
    r##"<path fill="#fff" d="M50 66C46 66 43 63 44 58C45 54 48 53 49 48C52 53 56 56 55 60C55 64 53 66 50 66Z"/>"##,
    r##"<rect x="35" y="70" width="30" height="3" fill="#000"/>"##,
    r##"</svg>"##
);

/// 反应性: a bursting star with flying fragments, the exploding-bomb idea without the bomb.
const REACTIVE: &str = concat!(
    r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" class="pictogram" data-hazard="R" role="img">"##,
    r##"<title>反应性</title>"##,
    r##"<path d="M50 4L96 50L50 96L4 50Z" fill="#fff" stroke="#000" stroke-width="6" stroke-linejoin="miter"/>"##,
    r##"<path fill="#000" d="M50 32L52.3 44.3L58 39.1L56.4 46.6L68.2 42.5L58.7 50.7L66 53L58.7 55.3L68.2 63.5"##,
    r##"L56.4 59.4L58 66.9L52.3 61.7L50 74L47.7 61.7L42 66.9L43.6 59.4L31.8 63.5L41.3 55.3L34 53L41.3 50.7"##,
    r##"L31.8 42.5L43.6 46.6L42 39.1L47.7 44.3Z"/>"##,
    r##"<circle cx="50" cy="53" r="4" fill="#fff"/>"##,
    r##"<g fill="#000"><rect x="36" y="31" width="3.5" height="3.5" transform="rotate(20 37.75 32.75)"/>"##,
    r##"<rect x="61" y="31" width="3.5" height="3.5" transform="rotate(-25 62.75 32.75)"/>"##,
    r##"<path d="M28 52l4-2l-1 4z"/><path d="M72 52l-4-2l1 4z"/></g>"##,
    r##"</svg>"##
);

/// 感染性: the biohazard trefoil: three open rings round a central ring.
const INFECTIOUS: &str = concat!(
    r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" class="pictogram" data-hazard="In" "##,
    r##"role="img"><title>感染性</title>"##,
    r##"<path d="M50 4L96 50L50 96L4 50Z" fill="#fff" stroke="#000" stroke-width="6" stroke-linejoin="miter"/>"##,
    r##"<g fill="#000"><circle cx="50" cy="44" r="12"/><circle cx="58.7" cy="59" r="12"/>"##,
    r##"<circle cx="41.3" cy="59" r="12"/></g>"##,
    r##"<g fill="#fff"><circle cx="50" cy="40" r="8.5"/><circle cx="62.1" cy="61" r="8.5"/>"##,
    r##"<circle cx="37.9" cy="61" r="8.5"/><circle cx="50" cy="54" r="4.5"/></g>"##,
    r##"<circle cx="50" cy="54" r="8" fill="none" stroke="#000" stroke-width="2.2"/>"##,
    r##"<circle cx="50" cy="54" r="2.2" fill="#fff"/>"##,
    r##"</svg>"##
);

#[cfg(test)]
mod tests {
    use super::*;

    const LETTERS: [&str; 5] = ["T", "C", "I", "R", "In"];

    #[test]
    fn every_letter_has_a_titled_pictogram() {
        for letter in LETTERS {
            let svg = pictogram_svg(letter).unwrap();
            let title = format!("<title>{}</title>", hazard_name_zh(letter).unwrap());
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{letter}");
            assert!(svg.contains(&title), "{letter}");
            assert!(svg.contains("viewBox=\"0 0 100 100\""), "{letter}");
            assert!(svg.contains(&format!("data-hazard=\"{letter}\"")), "{letter}");
        }
    }

    #[test]
    fn pictograms_are_pairwise_different_beyond_their_titles() {
        let bodies: Vec<String> = LETTERS
            .iter()
            .map(|l| pictogram_svg(l).unwrap().split("</title>").nth(1).unwrap().to_string())
            .collect();
        for i in 0..bodies.len() {
            for j in i + 1..bodies.len() {
                assert_ne!(bodies[i], bodies[j], "{} and {}", LETTERS[i], LETTERS[j]);
            }
        }
    }

    #[test]
    fn unknown_letters_have_no_pictogram() {
        for other in ["", "t", "IN", "X", "T,C"] {
            assert_eq!(pictogram_svg(other), None);
            assert_eq!(hazard_name_zh(other), None);
        }
    }

    #[test]
    fn pictogram_markup_is_balanced() {
        for letter in LETTERS {
            let svg = pictogram_svg(letter).unwrap();
            assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count(), "{letter}");
            assert_eq!(svg.matches('<').count(), svg.matches('>').count(), "{letter}");
        }
    }
}
