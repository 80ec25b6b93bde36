//! Rendering: QR codes, hazard pictograms, printable labels and the public verification page.
//!
//! Everything here is a pure function from prepared view data to bytes or text: no I/O, no clock, no
//! database. Callers (HTTP handlers, the CLI) look up and format the data (dates already in China Standard
//! Time, masses already as text) and decide what to do with the output. That keeps the look of a label
//! testable without a server, and keeps the server's rules out of the templates.

pub mod csv;
pub mod epcis;
pub mod hazard_text;
pub mod label;
pub mod manifest;
pub mod pictograms;
pub mod public;
pub mod qr;
pub mod verify_page;

pub use label::{escape_html, label_page, label_sheet, LabelSize, LabelView};
pub use pictograms::pictogram_svg;
pub use qr::{decode_png, inspect_png, qr_code, qr_png, qr_svg, DecodedQr, QrCode, QrMode};
pub use verify_page::{verify_page, CustodyLine, ItemSummary, Verdict, VerifyView};

/// Why something could not be rendered (or decoded).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// SPEC §3.3 puts the QR text entirely in the alphanumeric set; anything else is a bug upstream, and
    /// silently switching to byte mode would make the code larger than the label was designed for.
    #[error("QR text character {character:?} at byte {position} is outside the QR alphanumeric set 0-9A-Z $%*+-./:")]
    NotAlphanumeric { position: usize, character: char },
    #[error("QR text is empty")]
    EmptyText,
    #[error("QR text of {len} characters does not fit any QR version at error correction level M")]
    TooLong { len: usize },
    #[error("module size {px} px is outside 1..={max} px")]
    ModuleSize { px: u32, max: u32 },
    #[error("QR encoder failed: {0}")]
    Encode(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
    #[error("could not read the image: {0}")]
    Image(String),
}
