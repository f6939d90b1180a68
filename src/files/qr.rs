//! `--qr`: the address a phone would use, as a QR code (ISO/IEC 18004,
//! encoded by the `qrcode` crate): in the terminal as plain half-block
//! characters, and on listing pages as SVG.
//!
//! The terminal code carries no colour codes, so it survives Windows
//! consoles and copy-paste; it is drawn for the usual terminal, light text
//! on a dark background: a light module is a block, a dark one a blank.
//! (On a light terminal it shows inverted, which phone cameras read too.)

use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the code: the quiet zone ISO/IEC 18004 asks for.
pub const QUIET_ZONE: usize = 4;

/// The code of `text` as rows of modules, quiet zone included: `true` for
/// a dark module. `None` when `text` is too long for any QR code.
pub fn modules(text: &str) -> Option<Vec<Vec<bool>>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let rows = (0..size)
        .map(|y| {
            (0..size)
                .map(|x| {
                    let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&x)
                        && (QUIET_ZONE..QUIET_ZONE + width).contains(&y);
                    inside && colors[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)] == Color::Dark
                })
                .collect()
        })
        .collect();
    Some(rows)
}

/// The code of `text` for a terminal: two rows of modules per line, in
/// `█`, `▀`, `▄` and spaces, a block where a module is light.
pub fn terminal_lines(text: &str) -> Option<Vec<String>> {
    let rows = modules(text)?;
    let lines = rows
        .chunks(2)
        .map(|pair| {
            let top = &pair[0];
            (0..top.len())
                .map(|x| {
                    let upper = !top[x];
                    // A last row alone: its lower half is the terminal's own.
                    let lower = pair.get(1).is_some_and(|bottom| !bottom[x]);
                    match (upper, lower) {
                        (true, true) => '█',
                        (true, false) => '▀',
                        (false, true) => '▄',
                        (false, false) => ' ',
                    }
                })
                .collect()
        })
        .collect();
    Some(lines)
}

/// The code of `text` as an SVG image, dark modules on white, one unit
/// per module: a page shows it at any size, edges kept sharp.
pub fn svg(text: &str) -> Option<String> {
    let rows = modules(text)?;
    let size = rows.len();
    let mut path = String::new();
    for (y, row) in rows.iter().enumerate() {
        for (x, &dark) in row.iter().enumerate() {
            if dark {
                path.push_str(&format!("M{x} {y}h1v1h-1z"));
            }
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         width=\"{px}\" height=\"{px}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>",
        px = size * 4
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_code_is_the_modules_two_rows_a_line() {
        let text = "http://192.168.1.20:8080/";
        let rows = modules(text).unwrap();
        let lines = terminal_lines(text).unwrap();
        assert_eq!(lines.len(), rows.len().div_ceil(2));
        for (n, line) in lines.iter().enumerate() {
            for (x, c) in line.chars().enumerate() {
                let upper = !rows[2 * n][x];
                let lower = rows.get(2 * n + 1).is_some_and(|row| !row[x]);
                let expected = match (upper, lower) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                };
                assert_eq!(c, expected, "line {n}, column {x}");
            }
        }
        // The quiet zone: the first two lines are all light.
        assert!(lines[0].chars().all(|c| c == '█'));
        assert!(
            lines.iter().all(|line| !line.contains('\x1b')),
            "no colour codes"
        );
        let svg = svg(text).unwrap();
        let dark = rows.iter().flatten().filter(|&&d| d).count();
        assert_eq!(svg.matches("h1v1h-1z").count(), dark);
    }
}
