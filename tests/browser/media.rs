//! Pictures for and from the browser tests: a camera video of a printed label, for Chromium's
//! fake capture device, and QR codes read out of screenshots.
//!
//! A phone scanning a label sees a white sticker on a darker drum, not a clean PNG. So
//! [`label_video`] puts the service's QR picture (`/api/v1/items/{code}/qr.png`) on a white
//! label in the middle of a grey 640×480 scene, adds a little sensor noise to each frame, and
//! writes one second of it at 10 fps as a Y4M file (YUV 4:2:0), the format Chromium's
//! `--use-file-for-fake-video-capture` plays in a loop. [`decode_qr`] reads QR codes out of a
//! PNG (a screenshot, a printed page) with rqrr, a decoder independent of the browser's.
//!
//! How a screen test uses them (`Launch` is in `cdp.rs`, `with_browsers` in `main.rs`):
//!
//! ```ignore
//! let png = infra::qr_png(&cast["shop"].client, &code).await; // the service's QR picture
//! let dir = tempfile::tempdir().unwrap();
//! let video = media::label_video(dir.path(), &png);
//! let phone = Launch::phone().camera(&video).grant_camera(&app.base);
//! with_browsers(app, [phone], move |app, [b]| {
//!     // ... the scan screen opens the camera and finds the label's code
//! })
//! .await;
//! drop(dir); // after the browser is gone
//!
//! // A screenshot, or the printed label (cdp.rs `printed_png`), read back:
//! assert_eq!(media::decode_qr(&b.printed_png(2.0)), [qr_text]);
//! ```
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use image::imageops::{self, FilterType};
use image::{GrayImage, Luma, Rgb, RgbImage};

/// The fake camera's picture size: VGA, what a scanning page commonly asks for.
pub const CAMERA_SIZE_PX: (u32, u32) = (640, 480);
/// Frames per second of the fake camera.
pub const CAMERA_FPS: u32 = 10;
/// One second of video: Chromium loops the file, so this is plenty.
pub const CAMERA_FRAMES: u32 = 10;
/// Side of the QR symbol (quiet zone included) in the camera's picture: a label held some
/// 20 cm from the lens fills about two thirds of the frame's height.
const QR_SIDE_PX: u32 = 300;
/// White margin of the label around the QR symbol's quiet zone.
const LABEL_MARGIN_PX: u32 = 40;
/// The drum the label is stuck on.
const BACKGROUND: Rgb<u8> = Rgb([96, 104, 112]);
/// Largest sensor noise added to a pixel, in 8-bit levels either way.
const NOISE_LEVELS: i32 = 6;

/// Writes `label.y4m` in `dir`: the QR picture `qr_png` on a white label seen by a 640×480
/// camera, one second at 10 fps. Answers the file's path (for `Launch::camera`).
pub fn label_video(dir: &Path, qr_png: &[u8]) -> PathBuf {
    let scene = label_scene(qr_png);
    let frames: Vec<RgbImage> = (0..CAMERA_FRAMES).map(|i| with_noise(&scene, i)).collect();
    let path = dir.join("label.y4m");
    write_y4m(&path, &frames, CAMERA_FPS).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// The camera's view of a label: the QR picture, scaled to [`QR_SIDE_PX`] with a smooth
/// filter (a lens blurs module edges), on a white label centred on a grey background.
pub fn label_scene(qr_png: &[u8]) -> RgbImage {
    let qr = image::load_from_memory(qr_png)
        .expect("the QR picture is a PNG")
        .to_luma8();
    let qr = imageops::resize(&qr, QR_SIDE_PX, QR_SIDE_PX, FilterType::Triangle);
    let (w, h) = CAMERA_SIZE_PX;
    let label_side = QR_SIDE_PX + 2 * LABEL_MARGIN_PX;
    assert!(label_side <= h, "the label does not fit the camera's picture");
    let (label_x, label_y) = ((w - label_side) / 2, (h - label_side) / 2);
    let (qr_x, qr_y) = (label_x + LABEL_MARGIN_PX, label_y + LABEL_MARGIN_PX);
    RgbImage::from_fn(w, h, |x, y| {
        let on_label = (label_x..label_x + label_side).contains(&x) && (label_y..label_y + label_side).contains(&y);
        let on_qr = (qr_x..qr_x + QR_SIDE_PX).contains(&x) && (qr_y..qr_y + QR_SIDE_PX).contains(&y);
        if on_qr {
            let Luma([v]) = *qr.get_pixel(x - qr_x, y - qr_y);
            Rgb([v, v, v])
        } else if on_label {
            Rgb([255, 255, 255])
        } else {
            BACKGROUND
        }
    })
}

/// `scene` with deterministic noise of frame `frame` (a small linear congruential generator:
/// the same video every run, a different picture every frame).
fn with_noise(scene: &RgbImage, frame: u32) -> RgbImage {
    let mut state = 0x9e37_79b9_u32.wrapping_mul(frame + 1);
    let mut out = scene.clone();
    for px in out.pixels_mut() {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (state >> 24) as i32 % (2 * NOISE_LEVELS + 1) - NOISE_LEVELS;
        for c in px.0.iter_mut() {
            *c = (i32::from(*c) + noise).clamp(0, 255) as u8;
        }
    }
    out
}

/// Writes `frames` (all of the same even width and height) as a YUV4MPEG2 file, 4:2:0
/// chroma, `fps` frames per second, colours converted with BT.601 in limited range (what
/// Chromium assumes for a camera's I420 frames).
pub fn write_y4m(path: &Path, frames: &[RgbImage], fps: u32) -> std::io::Result<()> {
    let first = frames.first().expect("at least one frame");
    let (w, h) = first.dimensions();
    assert!(
        w % 2 == 0 && h % 2 == 0,
        "4:2:0 needs an even width and height, not {w}x{h}"
    );
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg")?;
    for frame in frames {
        assert_eq!(frame.dimensions(), (w, h), "frames of different sizes");
        out.write_all(b"FRAME\n")?;
        out.write_all(&i420(frame))?;
    }
    out.flush()
}

/// One frame as I420: the Y plane, then U and V at half resolution (each the mean of a 2×2
/// block).
fn i420(frame: &RgbImage) -> Vec<u8> {
    let (w, h) = frame.dimensions();
    let mut y_plane = Vec::with_capacity((w * h) as usize);
    for px in frame.pixels() {
        y_plane.push(luma(px));
    }
    let (cw, ch) = (w / 2, h / 2);
    let mut u_plane = Vec::with_capacity((cw * ch) as usize);
    let mut v_plane = Vec::with_capacity((cw * ch) as usize);
    for cy in 0..ch {
        for cx in 0..cw {
            let block = [(0, 0), (1, 0), (0, 1), (1, 1)].map(|(dx, dy)| *frame.get_pixel(2 * cx + dx, 2 * cy + dy));
            let mean = |c: usize| block.iter().map(|p| i32::from(p.0[c])).sum::<i32>() / 4;
            let (r, g, b) = (mean(0), mean(1), mean(2));
            u_plane.push(clamp_u8(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128));
            v_plane.push(clamp_u8(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128));
        }
    }
    y_plane.extend_from_slice(&u_plane);
    y_plane.extend_from_slice(&v_plane);
    y_plane
}

fn luma(px: &Rgb<u8>) -> u8 {
    let [r, g, b] = px.0.map(i32::from);
    clamp_u8(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16)
}

fn clamp_u8(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// The texts of the QR codes rqrr finds in a PNG (a screenshot, a printed page, a camera
/// frame), in detection order; empty if none. rqrr is not the browser's decoder (jsQR), so a
/// test reading a screenshot with it checks what was drawn, not what the page believes.
pub fn decode_qr(png: &[u8]) -> Vec<String> {
    hwtrace::render::qr::decode_png(png).unwrap_or_else(|e| panic!("not a readable PNG: {e}"))
}

/// Reads back frame `index` of a Y4M file written by [`write_y4m`] as a grey picture (its Y
/// plane), e.g. to check the video a test feeds the camera decodes at all.
pub fn y4m_frame_luma(path: &Path, index: usize) -> GrayImage {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let header_end = bytes.iter().position(|&b| b == b'\n').expect("a Y4M header line");
    let header = std::str::from_utf8(&bytes[..header_end]).expect("an ASCII header");
    let field = |tag: char| -> u32 {
        header
            .split(' ')
            .find_map(|f| f.strip_prefix(tag))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {tag} in the Y4M header {header:?}"))
    };
    let (w, h) = (field('W'), field('H'));
    let frame_len = "FRAME\n".len() + (w * h * 3 / 2) as usize;
    let start = header_end + 1 + index * frame_len + "FRAME\n".len();
    let y_plane = bytes[start..start + (w * h) as usize].to_vec();
    GrayImage::from_raw(w, h, y_plane).expect("a whole Y plane")
}

/// PNG bytes of a grey picture.
pub fn png_of_luma(img: &GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("PNG encoding");
    out
}
