//! Sending part of a file through memory: for the portable path, and for
//! every path when an observer needs to see the bytes.

use std::fs::File;
use std::io;

#[cfg(unix)]
use super::unix::read_at;
#[cfg(windows)]
use super::windows::read_at;

/// Bytes of a file read per write when it is sent through memory.
const COPY_CHUNK_BYTES: usize = 64 * 1024;

/// Reads `len` bytes of `file` from `offset` and hands them to `write` in
/// order, at most [`COPY_CHUNK_BYTES`] at a time. Reads are positioned, so
/// the parts of a multipart body need no seeking. Fails with
/// [`file_shrank`] if the file ends first.
pub fn copy_range(
    file: &File,
    offset: u64,
    len: u64,
    mut write: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut buffer = vec![0u8; COPY_CHUNK_BYTES.min(len as usize)];
    let mut position = offset;
    let end = offset + len;
    while position < end {
        let want = (end - position).min(COPY_CHUNK_BYTES as u64) as usize;
        let n = match read_at(file, &mut buffer[..want], position) {
            Ok(0) => return Err(file_shrank()),
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        write(&buffer[..n])?;
        position += n as u64;
    }
    Ok(())
}

/// The error for a file that ended before the length its response
/// announced: the connection cannot be reused after it.
pub fn file_shrank() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "file shorter than its announced length",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_range_hands_over_exactly_the_range_and_fails_past_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("numbers");
        let contents: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &contents).unwrap();
        let file = File::open(&path).unwrap();
        let chunk = COPY_CHUNK_BYTES as u64;
        let cases = [
            ("empty", 0, 0),
            ("start", 0, 10),
            ("across a chunk boundary", chunk - 3, 7),
            ("several chunks", 1, 3 * chunk),
            ("to the end", 199_995, 5),
        ];
        for (name, offset, len) in cases {
            let mut copied = Vec::new();
            copy_range(&file, offset, len, |bytes| {
                assert!(bytes.len() <= COPY_CHUNK_BYTES, "{name}");
                copied.extend_from_slice(bytes);
                Ok(())
            })
            .unwrap();
            let range = offset as usize..(offset + len) as usize;
            assert!(copied == contents[range], "{name}");
        }
        let past_end = copy_range(&file, 199_995, 6, |_| Ok(())).unwrap_err();
        assert_eq!(past_end.kind(), io::ErrorKind::UnexpectedEof);
    }
}
