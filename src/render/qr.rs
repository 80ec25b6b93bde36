//! QR codes for labels (SPEC §3.3): encode the label text as SVG or PNG, and decode QR codes back out of
//! images.
//!
//! The label text is always upper case and entirely in the QR alphanumeric set, so it is encoded in
//! alphanumeric mode at error correction level M, never left to an encoder's automatic segmentation: that is
//! what keeps a 32-character base URL within version 10 (57×57 modules), readable at 30 mm on a
//! 100×100 mm label. The decoder is here so tests (and an operator's "does this print scan?" check) read
//! back with an independent implementation, rqrr, rather than trusting the encoder.

use std::fmt::Write as _;
use std::io::Cursor;

use image::{GrayImage, ImageEncoder, ImageReader, Limits, Luma};
use qrcode::bits::Bits;
use qrcode::types::QrError;
use qrcode::{Color, EcLevel, Version};
use rqrr::BitGrid;

pub use qrcode::QrCode;

use super::RenderError;

/// Light modules around the symbol, as ISO/IEC 18004 requires for a reliable scan.
pub const QUIET_ZONE_MODULES: usize = 4;
/// Largest module size accepted for rendering; 64 px per module is already a poster.
pub const MAX_MODULE_PX: u32 = 64;
/// Alphanumeric capacity of version 40 at level M; longer text can never be a QR code.
pub const MAX_QR_TEXT_CHARS: usize = 3391;
/// Largest image side decoded, so a hostile upload cannot make the decoder allocate gigabytes.
pub const MAX_DECODE_SIDE_PX: u32 = 8192;

/// The QR alphanumeric character set (ISO/IEC 18004 table 5).
const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Encodes `text` in alphanumeric mode, level M, in the smallest version that holds it.
pub fn qr_code(text: &str) -> Result<QrCode, RenderError> {
    check_alphanumeric(text)?;
    let bits = alphanumeric_bits(text.as_bytes())?;
    QrCode::with_bits(bits, EcLevel::M).map_err(|e| RenderError::Encode(e.to_string()))
}

/// A standalone SVG document: `module_px` sets the intrinsic size, the `viewBox` (one unit per module,
/// quiet zone included) lets CSS scale it to any print size without blurring.
pub fn qr_svg(text: &str, module_px: u32) -> Result<String, RenderError> {
    check_module_px(module_px)?;
    Ok(svg_of(&qr_code(text)?, module_px))
}

/// PNG bytes, black on white, `module_px` pixels per module, quiet zone included.
pub fn qr_png(text: &str, module_px: u32) -> Result<Vec<u8>, RenderError> {
    check_module_px(module_px)?;
    let img = image_of(&qr_code(text)?, module_px);
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::L8)
        .map_err(|e| RenderError::Png(e.to_string()))?;
    Ok(out)
}

/// The text of every QR code found in the image (PNG), in detection order.
pub fn decode_png(bytes: &[u8]) -> Result<Vec<String>, RenderError> {
    Ok(inspect_png(bytes)?.into_iter().map(|d| d.text).collect())
}

/// The data mode announced by the first segment of a QR code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrMode {
    Numeric,
    Alphanumeric,
    Byte,
    Kanji,
    Eci,
    /// Any other 4-bit mode indicator (FNC1, structured append, or a misread).
    Other(u8),
}

/// One QR code read from an image, with the symbol parameters a reader saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedQr {
    pub text: String,
    /// 1..=40; the symbol is `17 + 4 * version` modules wide.
    pub version: usize,
    /// `'L'`, `'M'`, `'Q'` or `'H'`.
    pub ec_level: char,
    /// Mode of the first segment, read from the unmasked symbol (for codes printed the right way round).
    pub mode: QrMode,
}

/// Like [`decode_png`], but also reports version, error correction level and mode of each code, so tests
/// can prove the label codes are what SPEC §3.3 says using a decoder that is not our encoder.
pub fn inspect_png(bytes: &[u8]) -> Result<Vec<DecodedQr>, RenderError> {
    let gray = load_gray(bytes)?;
    let mut prepared = rqrr::PreparedImage::prepare(gray);
    // A grid that fails to decode is a smudge or a false finder pattern, not an error of the whole image.
    let found = prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| {
            let (meta, text) = grid.decode().ok()?;
            Some(DecodedQr {
                text,
                version: meta.version.0,
                ec_level: ec_letter(meta.ecc_level),
                mode: first_mode(&grid.grid, meta.mask),
            })
        })
        .collect();
    Ok(found)
}

/// The SVG markup of an encoded code; shared with the label page, which embeds it inline.
pub(crate) fn svg_of(code: &QrCode, module_px: u32) -> String {
    let n = code.width();
    let side = n + 2 * QUIET_ZONE_MODULES;
    let px = side as u64 * u64::from(module_px);
    let colors = code.to_colors();
    // One path of horizontal runs: a few kilobytes instead of one <rect> per dark module.
    let mut d = String::with_capacity(n * n);
    for (y, row) in colors.chunks(n).enumerate() {
        let mut x = 0;
        while x < n {
            if row[x] == Color::Light {
                x += 1;
                continue;
            }
            let start = x;
            while x < n && row[x] == Color::Dark {
                x += 1;
            }
            let (q, len) = (QUIET_ZONE_MODULES, x - start);
            let _ = write!(d, "M{} {}h{len}v1h-{len}z", start + q, y + q);
        }
    }
    format!(
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {s} {s}" width="{px}" "##,
            r##"height="{px}" shape-rendering="crispEdges"><rect width="{s}" height="{s}" fill="#fff"/>"##,
            r##"<path fill="#000" d="{d}"/></svg>"##
        ),
        s = side,
        px = px,
        d = d
    )
}

fn check_alphanumeric(text: &str) -> Result<(), RenderError> {
    if text.is_empty() {
        return Err(RenderError::EmptyText);
    }
    if let Some((position, character)) = text.char_indices().find(|(_, c)| !is_alphanumeric(*c)) {
        return Err(RenderError::NotAlphanumeric { position, character });
    }
    if text.len() > MAX_QR_TEXT_CHARS {
        return Err(RenderError::TooLong { len: text.len() });
    }
    Ok(())
}

fn is_alphanumeric(c: char) -> bool {
    c.is_ascii() && ALPHANUMERIC.contains(&(c as u8))
}

fn check_module_px(px: u32) -> Result<(), RenderError> {
    if px == 0 || px > MAX_MODULE_PX {
        return Err(RenderError::ModuleSize { px, max: MAX_MODULE_PX });
    }
    Ok(())
}

/// One alphanumeric segment in the smallest version whose level-M capacity holds it. Building the bit
/// stream ourselves is what pins the mode: the crate's automatic encoder may choose otherwise.
fn alphanumeric_bits(data: &[u8]) -> Result<Bits, RenderError> {
    for v in 1..=40 {
        let mut bits = Bits::new(Version::Normal(v));
        match bits
            .push_alphanumeric_data(data)
            .and_then(|()| bits.push_terminator(EcLevel::M))
        {
            Ok(()) => return Ok(bits),
            Err(QrError::DataTooLong) => continue,
            Err(e) => return Err(RenderError::Encode(e.to_string())),
        }
    }
    Err(RenderError::TooLong { len: data.len() })
}

fn image_of(code: &QrCode, module_px: u32) -> GrayImage {
    let n = code.width();
    let colors = code.to_colors();
    let q = QUIET_ZONE_MODULES as u32;
    let side = (n as u32 + 2 * q) * module_px;
    GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / module_px, y / module_px);
        let inside = (q..q + n as u32).contains(&mx) && (q..q + n as u32).contains(&my);
        let dark = inside && colors[(my - q) as usize * n + (mx - q) as usize] == Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    })
}

fn load_gray(bytes: &[u8]) -> Result<GrayImage, RenderError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| RenderError::Image(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE_PX);
    limits.max_image_height = Some(MAX_DECODE_SIDE_PX);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| RenderError::Image(e.to_string()))?;
    Ok(img.to_luma8())
}

/// The format information's two EC bits (ISO/IEC 18004 table 12): M is 00, L 01, H 10, Q 11.
fn ec_letter(bits: u16) -> char {
    match bits & 3 {
        0 => 'M',
        1 => 'L',
        2 => 'H',
        _ => 'Q',
    }
}

/// The first four data bits sit in the bottom-right 2×2 block, read right then left, bottom row first;
/// with block interleaving they are still the first bits of the first block, i.e. the mode indicator.
fn first_mode(grid: &dyn BitGrid, mask: u16) -> QrMode {
    let n = grid.size();
    let cells = [(n - 1, n - 1), (n - 1, n - 2), (n - 2, n - 1), (n - 2, n - 2)];
    let indicator = cells.iter().fold(0u8, |acc, &(y, x)| {
        (acc << 1) | u8::from(grid.bit(y, x) ^ masked(mask, y, x))
    });
    match indicator {
        0b0001 => QrMode::Numeric,
        0b0010 => QrMode::Alphanumeric,
        0b0100 => QrMode::Byte,
        0b1000 => QrMode::Kanji,
        0b0111 => QrMode::Eci,
        other => QrMode::Other(other),
    }
}

/// Data mask patterns, ISO/IEC 18004 table 10 (row `y`, column `x`).
fn masked(mask: u16, y: usize, x: usize) -> bool {
    match mask {
        0 => (y + x).is_multiple_of(2),
        1 => y.is_multiple_of(2),
        2 => x.is_multiple_of(3),
        3 => (y + x).is_multiple_of(3),
        4 => (y / 2 + x / 3).is_multiple_of(2),
        5 => (y * x) % 2 + (y * x) % 3 == 0,
        6 => ((y * x) % 2 + (y * x) % 3).is_multiple_of(2),
        _ => ((y * x) % 3 + (y + x) % 2).is_multiple_of(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Alphanumeric capacity at level M, versions 1..=10 (ISO/IEC 18004 table 7).
    const ALNUM_M: [usize; 10] = [20, 38, 61, 90, 122, 154, 178, 221, 262, 311];

    fn text_of_len(len: usize) -> String {
        "HTTP://127.0.0.1:8080/Q/AEJSNRY4 $%*+-."
            .chars()
            .cycle()
            .take(len)
            .collect()
    }

    fn version_of(code: &QrCode) -> usize {
        (code.width() - 17) / 4
    }

    #[test]
    fn version_is_smallest_alphanumeric_fit_at_every_length_up_to_v10() {
        for len in 1..=ALNUM_M[9] {
            let code = qr_code(&text_of_len(len)).unwrap();
            let expected = ALNUM_M.iter().position(|&cap| len <= cap).unwrap() + 1;
            assert_eq!(version_of(&code), expected, "length {len}");
            assert_eq!(code.error_correction_level(), EcLevel::M);
        }
    }

    #[test]
    fn refuses_text_outside_the_alphanumeric_set() {
        assert_eq!(
            qr_code("HTTP://x").err(),
            Some(RenderError::NotAlphanumeric {
                position: 7,
                character: 'x'
            })
        );
        assert!(matches!(
            qr_code("ABC危"),
            Err(RenderError::NotAlphanumeric { position: 3, .. })
        ));
        assert!(matches!(
            qr_code("A_B"),
            Err(RenderError::NotAlphanumeric { position: 1, .. })
        ));
        assert_eq!(qr_code("").err(), Some(RenderError::EmptyText));
    }

    #[test]
    fn refuses_text_beyond_version_40() {
        assert!(qr_code(&text_of_len(MAX_QR_TEXT_CHARS)).is_ok());
        assert_eq!(
            qr_code(&text_of_len(MAX_QR_TEXT_CHARS + 1)).err(),
            Some(RenderError::TooLong {
                len: MAX_QR_TEXT_CHARS + 1
            })
        );
    }

    #[test]
    fn refuses_module_sizes_outside_the_limit() {
        assert!(matches!(qr_png("A", 0), Err(RenderError::ModuleSize { px: 0, .. })));
        assert!(matches!(
            qr_svg("A", MAX_MODULE_PX + 1),
            Err(RenderError::ModuleSize { .. })
        ));
        assert!(qr_svg("A", MAX_MODULE_PX).is_ok());
    }

    #[test]
    fn png_has_a_four_module_quiet_zone() {
        let text = "HTTP://127.0.0.1:8080/Q/AEJSNRY4";
        let code = qr_code(text).unwrap();
        let img = image::load_from_memory(&qr_png(text, 3).unwrap()).unwrap().to_luma8();
        let side = (code.width() as u32 + 8) * 3;
        assert_eq!((img.width(), img.height()), (side, side));
        let border = 4 * 3;
        for (x, y, p) in img.enumerate_pixels() {
            if x < border || y < border || x >= side - border || y >= side - border {
                assert_eq!(p.0[0], 255, "quiet zone pixel ({x},{y}) is dark");
            }
        }
        // The top-left finder pattern starts right after the quiet zone.
        assert_eq!(img.get_pixel(border, border).0[0], 0);
    }

    #[test]
    fn decodes_after_scaling_by_three_and_adding_a_white_border() {
        let text = "HTTPS://HW.EXAMPLE.CN/Q/AEB2CDEFGHIJKLMNOPQRSTUVWXYZ234567AEB2CDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let small = image::load_from_memory(&qr_png(text, 2).unwrap()).unwrap().to_luma8();
        let scaled = image::imageops::resize(
            &small,
            small.width() * 3,
            small.height() * 3,
            image::imageops::FilterType::Nearest,
        );
        let border = 57;
        let mut canvas = GrayImage::from_pixel(scaled.width() + 2 * border, scaled.height() + 2 * border, Luma([255]));
        image::imageops::overlay(&mut canvas, &scaled, i64::from(border), i64::from(border));
        let mut png = Vec::new();
        canvas
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let found = inspect_png(&png).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, text);
        assert_eq!(found[0].mode, QrMode::Alphanumeric);
        assert_eq!(found[0].ec_level, 'M');
    }

    #[test]
    fn mode_reader_tells_byte_mode_from_alphanumeric() {
        // Guards the test above: a code the crate encodes in byte mode must not read as alphanumeric.
        let code = QrCode::with_error_correction_level("lower case forces byte mode", EcLevel::M).unwrap();
        let img = image_of(&code, 4);
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let found = inspect_png(&png).unwrap();
        assert_eq!(found[0].text, "lower case forces byte mode");
        assert_eq!(found[0].mode, QrMode::Byte);
    }

    #[test]
    fn decode_refuses_garbage_and_finds_nothing_in_a_blank_image() {
        assert!(matches!(decode_png(b"not an image"), Err(RenderError::Image(_))));
        let blank = GrayImage::from_pixel(200, 200, Luma([255]));
        let mut png = Vec::new();
        blank
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(decode_png(&png).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn svg_path_covers_exactly_the_dark_modules() {
        let code = qr_code("HELLO WORLD").unwrap();
        let svg = svg_of(&code, 1);
        let d = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
        let covered: usize = d
            .split('z')
            .filter(|s| !s.is_empty())
            .map(|run| {
                run.split('h')
                    .nth(1)
                    .unwrap()
                    .split('v')
                    .next()
                    .unwrap()
                    .parse::<usize>()
                    .unwrap()
            })
            .sum();
        let dark = code.to_colors().iter().filter(|c| **c == Color::Dark).count();
        assert_eq!(covered, dark);
    }
}
