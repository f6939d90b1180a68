//! The design's ceiling, for `benches/compare.sh`: a server with glasshttp's
//! shape (one thread per connection, std only) that does nothing a real
//! server must. It answers every request with one canned response (the file
//! named, read once), parses nothing but the end of each head, and closes
//! after a request that says `Connection: close`. No validation, no files,
//! no observers, no limits: what is left is the cost of the threads, the
//! system calls and the kernel.
//!
//! Usage: `cargo bench --bench probe -- FILE` prints
//! `probe listening on http://127.0.0.1:PORT/` and serves until killed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

fn main() {
    let file = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with("--"))
        .expect("usage: probe FILE");
    let body = std::fs::read(&file).expect("read the file");
    let head = |connection: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nServer: probe\r\nContent-Type: text/html\r\n\
             Content-Length: {}\r\n{connection}\r\n",
            body.len()
        )
    };
    let kept = [head("").as_bytes(), &body].concat();
    let closing = [head("Connection: close\r\n").as_bytes(), &body].concat();
    let responses: Arc<(Vec<u8>, Vec<u8>)> = Arc::new((kept, closing));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    println!("probe listening on http://127.0.0.1:{port}/");
    for stream in listener.incoming().flatten() {
        let responses = Arc::clone(&responses);
        let _ = thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || serve(stream, &responses));
    }
}

/// Answers each whole head in `stream` with the canned response, until the
/// client closes or asks to.
fn serve(mut stream: TcpStream, (kept, closing): &(Vec<u8>, Vec<u8>)) {
    let _ = stream.set_nodelay(true);
    let mut buffer = vec![0u8; 16 * 1024];
    let mut filled = 0;
    loop {
        let Ok(read) = stream.read(&mut buffer[filled..]) else {
            return;
        };
        if read == 0 {
            return;
        }
        filled += read;
        let mut start = 0;
        while let Some(end) = head_end(&buffer[start..filled]) {
            let head = &buffer[start..start + end];
            let close = asks_to_close(head);
            let response = if close { closing } else { kept };
            if stream.write_all(response).is_err() || close {
                return;
            }
            start += end;
        }
        buffer.copy_within(start..filled, 0);
        filled -= start;
        if filled == buffer.len() {
            return;
        }
    }
}

/// Where the first head in `bytes` ends, past its blank line.
fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// Whether a head holds `Connection: close` (any case).
fn asks_to_close(head: &[u8]) -> bool {
    head.to_ascii_lowercase()
        .windows(b"connection: close".len())
        .any(|w| w == b"connection: close")
}
