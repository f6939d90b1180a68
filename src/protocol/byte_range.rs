//! Byte ranges as the protocol writes them (RFC 9110 §14.1.2, §14.4): a
//! range already clipped to a representation, and its `Content-Range`.

/// An inclusive byte range within a file, already clipped to its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte offset.
    pub start: u64,
    /// Last byte offset, inclusive (as `Content-Range` writes it).
    pub end: u64,
}

impl ByteRange {
    /// The number of bytes in the range: at least one, so there is no
    /// `is_empty` to ask.
    pub fn byte_count(&self) -> u64 {
        self.end - self.start + 1
    }

    /// The `Content-Range` value for this range of a file of `size` bytes.
    pub fn content_range(&self, size: u64) -> String {
        format!("bytes {}-{}/{size}", self.start, self.end)
    }
}

/// The `Content-Range` value of a 416: the file's current length.
pub fn unsatisfied_content_range(size: u64) -> String {
    format!("bytes */{size}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: u64, end: u64) -> ByteRange {
        ByteRange { start, end }
    }

    #[test]
    fn content_range_values() {
        assert_eq!(r(0, 0).content_range(1), "bytes 0-0/1");
        assert_eq!(r(10, 19).content_range(100), "bytes 10-19/100");
        assert_eq!(unsatisfied_content_range(48292), "bytes */48292");
    }
}
