//! QR codes for survey links, as SVG (one path, scales to any print size)
//! or PNG (greyscale, `scale` pixels a module), with the standard quiet
//! zone of four modules. The matrix comes from `qrcodegen`.

use crate::platform::error::AppError;
use qrcodegen::{QrCode, QrCodeEcc};

const QUIET: i32 = 4;

fn encode(text: &str) -> Result<QrCode, AppError> {
    // Medium error correction survives a smudged poster and keeps links short enough.
    QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|_| AppError::invalid("url", "the link is too long for a QR code"))
}

/// The code as an SVG document.
pub fn svg(text: &str) -> Result<String, AppError> {
    let qr = encode(text)?;
    let n = qr.size() + 2 * QUIET;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + QUIET, y + QUIET));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">\
         <rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// The code as a PNG, `scale` pixels per module (1–40).
pub fn png(text: &str, scale: u32) -> Result<Vec<u8>, AppError> {
    if !(1..=40).contains(&scale) {
        return Err(AppError::invalid("scale", "scale must be 1–40 pixels per module"));
    }
    let qr = encode(text)?;
    let modules = (qr.size() + 2 * QUIET) as u32;
    let side = modules * scale;
    let mut pixels = vec![255u8; (side * side) as usize];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = ((x / scale) as i32 - QUIET, (y / scale) as i32 - QUIET);
            if qr.get_module(mx, my) {
                pixels[(y * side + x) as usize] = 0;
            }
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, side, side);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let fail = |e: png::EncodingError| AppError::Internal(format!("png: {e}"));
    let mut w = enc.write_header().map_err(fail)?;
    w.write_image_data(&pixels).map_err(fail)?;
    w.finish().map_err(fail)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://cx.example.com/s/relationship-nps";

    #[test]
    fn the_png_shows_exactly_the_modules_of_the_code_with_a_quiet_zone() {
        let bytes = png(URL, 3).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        let qr = encode(URL).unwrap();
        let modules = qr.size() + 8;
        assert_eq!((info.width, info.height), ((modules * 3) as u32, (modules * 3) as u32));
        let px = |x: i32, y: i32| buf[(y * info.width as i32 + x) as usize];
        for my in -4..qr.size() + 4 {
            for mx in -4..qr.size() + 4 {
                let want = if qr.get_module(mx, my) { 0 } else { 255 };
                assert_eq!(px((mx + 4) * 3 + 1, (my + 4) * 3 + 1), want, "module {mx},{my}");
            }
        }
        // The finder pattern's corner is dark, the quiet zone light.
        assert_eq!(px(12, 12), 0);
        assert_eq!(px(0, 0), 255);
    }

    #[test]
    fn the_svg_has_one_square_per_dark_module() {
        let s = svg(URL).unwrap();
        let qr = encode(URL).unwrap();
        let dark = (0..qr.size())
            .flat_map(|y| (0..qr.size()).map(move |x| (x, y)))
            .filter(|&(x, y)| qr.get_module(x, y))
            .count();
        assert_eq!(s.matches("h1v1h-1z").count(), dark);
        assert!(
            s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")
                && s.contains(&format!("viewBox=\"0 0 {0} {0}\"", qr.size() + 8))
        );
    }

    #[test]
    fn bad_sizes_and_overlong_links_are_clear_errors() {
        assert_eq!(png(URL, 0).unwrap_err().field(), Some("scale"));
        assert_eq!(png(URL, 41).unwrap_err().field(), Some("scale"));
        assert_eq!(svg(&"x".repeat(5000)).unwrap_err().field(), Some("url"));
    }
}
