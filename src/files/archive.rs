//! A folder as one `.zip` (`GET /folder/?zip`, linked from its listing):
//! what the listing would serve beneath that folder, folders included, in
//! one archive a browser saves (PKWARE's APPNOTE 6.3).
//!
//! - **Streamed**: each file is read and sent as it goes, never held
//!   whole, never copied to a temporary file. Its entry is *stored* (no
//!   compression), so the archive's length is known before the first byte
//!   (the head says `Content-Length`); the CRC-32 is known only after the
//!   file, so it follows it in a data descriptor (flag bit 3).
//! - **Beneath the root**: the folder is walked as the listing reads it
//!   (the same names left out: dotfiles unless `--hidden`, names the path
//!   rules refuse, entries `--auth` withholds), and each file is looked up
//!   again beneath the root when its turn comes.
//! - **Past 4 GiB**: an entry or an offset past what 32 bits hold takes the
//!   ZIP64 extra field, and the archive ZIP64's end records.
//! - **Bounded**: at most [`MAX_ENTRIES`] entries, [`MAX_DEPTH`] folders
//!   deep (a link may lead back up); past that, no archive.
//! - A file that shrinks while it is sent ends the connection: the client
//!   sees a download cut short, never an archive that lies.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::files::root::{relative_path, Root};
use crate::files::target::{self, RequestPath};
use crate::protocol::civil::UtcTime;
use crate::protocol::response::Stream;
use crate::sys::{self, EntryKind, RootDir};

/// The query that asks for a folder's archive: `/photos/?zip`.
pub const QUERY: &str = "zip";
/// The most entries (files and folders) an archive holds.
pub const MAX_ENTRIES: usize = 100_000;
/// The deepest folder an archive goes into.
pub const MAX_DEPTH: usize = 32;
/// Sizes and offsets from this on need ZIP64 (32 bits hold less).
pub const ZIP64_FROM: u64 = 0xFFFF_FFFF;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
/// Bit 3: sizes and CRC in a data descriptor; bit 11: UTF-8 names.
const FILE_FLAGS: u16 = 1 << 3 | 1 << 11;
const FOLDER_FLAGS: u16 = 1 << 11;

/// One entry: a file (looked up at `relative` beneath the root when its
/// turn comes) or a folder (its name ends in `/`).
#[derive(Debug)]
struct Entry {
    name: String,
    file: Option<(PathBuf, u64)>,
    modified: Option<SystemTime>,
    /// Where its local header starts in the archive.
    offset: u64,
}

impl Entry {
    fn size(&self) -> u64 {
        self.file.as_ref().map_or(0, |(_, size)| *size)
    }
}

/// A folder's archive, laid out: every entry's place and the whole length,
/// before a byte is sent.
#[derive(Debug)]
pub struct Archive {
    dir: Arc<RootDir>,
    entries: Vec<Entry>,
    /// Where the central directory starts, and its length.
    directory: (u64, u64),
    len: u64,
    zip64_from: u64,
}

/// Why a folder has no archive.
#[derive(Debug)]
pub enum NoArchive {
    /// More than [`MAX_ENTRIES`] entries, or deeper than [`MAX_DEPTH`].
    TooLarge,
    Io(io::Error),
}

impl Archive {
    /// The archive of the folder `request_path` names (it ends in `/`):
    /// what its listing would serve beneath it, `withheld` left out.
    /// `zip64_from` is [`ZIP64_FROM`] but in tests.
    pub fn plan(
        root: &Root,
        request_path: &RequestPath,
        withheld: Option<&dyn Fn(&RequestPath) -> bool>,
        zip64_from: u64,
    ) -> Result<Archive, NoArchive> {
        let mut entries = Vec::new();
        walk(root, request_path, String::new(), 0, withheld, &mut entries)?;
        let mut archive = Archive {
            dir: root.shared_dir(),
            entries,
            directory: (0, 0),
            len: 0,
            zip64_from,
        };
        archive.lay_out();
        Ok(archive)
    }

    /// Each entry's offset, the central directory's place, the length.
    fn lay_out(&mut self) {
        let mut at = 0;
        for entry in &mut self.entries {
            entry.offset = at;
            at += local_header_len(entry, self.zip64_from) + entry.size();
            if entry.file.is_some() {
                at += descriptor_len(entry.size(), self.zip64_from);
            }
        }
        let directory_len: u64 = (self.entries.iter())
            .map(|entry| central_header(entry, 0, self.zip64_from).len() as u64)
            .sum();
        self.directory = (at, directory_len);
        self.len =
            at + directory_len + end_len(self.entries.len(), self.directory, self.zip64_from);
    }

    /// The archive's length in bytes, as the head announces it.
    pub fn length(&self) -> u64 {
        self.len
    }

    /// Files, folders, and the bytes of the files.
    pub fn counts(&self) -> (usize, usize, u64) {
        let files = self.entries.iter().filter(|e| e.file.is_some()).count();
        let bytes = self.entries.iter().map(Entry::size).sum();
        (files, self.entries.len() - files, bytes)
    }
}

/// Adds the entries of the folder `path` (named `prefix` in the archive)
/// and of every folder in it, in name order.
fn walk(
    root: &Root,
    path: &RequestPath,
    prefix: String,
    depth: usize,
    withheld: Option<&dyn Fn(&RequestPath) -> bool>,
    entries: &mut Vec<Entry>,
) -> Result<(), NoArchive> {
    if depth > MAX_DEPTH {
        return Err(NoArchive::TooLarge);
    }
    let relative =
        relative_path(path).ok_or_else(|| NoArchive::Io(io::ErrorKind::NotFound.into()))?;
    let mut read = root
        .read_directory(&relative, MAX_ENTRIES + 1, &|name| root.shows(name))
        .map_err(NoArchive::Io)?;
    read.entries.sort_by(|a, b| a.name.cmp(&b.name));
    for found in read.entries {
        let Some(segment) = sys::name_to_segment(&found.name) else {
            continue;
        };
        let mut child = path.child(segment);
        if withheld.is_some_and(|withheld| withheld(&child)) {
            continue;
        }
        let name = format!("{prefix}{}", String::from_utf8_lossy(segment));
        match found.kind {
            EntryKind::File { size, modified } => entries.push(Entry {
                name,
                file: Some((relative.join(&found.name), size)),
                modified,
                offset: 0,
            }),
            EntryKind::Directory { modified } => {
                let name = format!("{name}/");
                entries.push(Entry {
                    name: name.clone(),
                    file: None,
                    modified,
                    offset: 0,
                });
                child.trailing_slash = true;
                walk(root, &child, name, depth + 1, withheld, entries)?;
            }
            EntryKind::Link | EntryKind::Other => {}
        }
        if entries.len() > MAX_ENTRIES {
            return Err(NoArchive::TooLarge);
        }
    }
    Ok(())
}

impl Stream for Archive {
    fn write_to(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut out = io::BufWriter::with_capacity(64 * 1024, out);
        let mut crcs = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            out.write_all(&local_header(entry, self.zip64_from))?;
            let Some((relative, size)) = &entry.file else {
                crcs.push(0);
                continue;
            };
            let crc = self.copy_file(relative, *size, &mut out)?;
            out.write_all(&descriptor(crc, *size, self.zip64_from))?;
            crcs.push(crc);
        }
        for (entry, crc) in self.entries.iter().zip(crcs) {
            out.write_all(&central_header(entry, crc, self.zip64_from))?;
        }
        out.write_all(&end_records(
            self.entries.len(),
            self.directory,
            self.zip64_from,
        ))?;
        out.flush()
    }
}

impl Archive {
    /// Sends `size` bytes of the file at `relative`, looked up beneath the
    /// root now; their CRC-32. Fewer there now is an error.
    fn copy_file(&self, relative: &Path, size: u64, out: &mut impl Write) -> io::Result<u32> {
        let sys::Entry::File(file, _) = self.dir.lookup(relative)? else {
            return Err(io::ErrorKind::NotFound.into());
        };
        let mut crc = flate2::Crc::new();
        let mut buffer = vec![0; 64 * 1024];
        let mut left = size;
        let mut file = file.take(size);
        while left > 0 {
            let read = match file.read(&mut buffer) {
                Ok(0) => return Err(io::Error::other("a file shrank while it was archived")),
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            crc.update(&buffer[..read]);
            out.write_all(&buffer[..read])?;
            left -= read as u64;
        }
        Ok(crc.sum())
    }
}

/// MS-DOS time and date (2-second steps, from 1980), in UTC.
fn dos_time(modified: Option<SystemTime>) -> (u16, u16) {
    let Some(t) = modified
        .map(UtcTime::of)
        .filter(|t| (1980..2108).contains(&t.year))
    else {
        return (0, 1 << 5 | 1);
    };
    let time = ((t.hour << 11) | (t.minute << 5) | (t.second / 2)) as u16;
    let date = (((t.year - 1980) << 9) | ((t.month as i64) << 5) | t.day as i64) as u16;
    (time, date)
}

fn local_header_len(entry: &Entry, zip64_from: u64) -> u64 {
    local_header(entry, zip64_from).len() as u64
}

/// An entry's local header: CRC and sizes left to the data descriptor for
/// a file; for a file that needs ZIP64, its extra field with both sizes
/// (zero here, in the descriptor too, as APPNOTE 4.3.9.2 asks).
fn local_header(entry: &Entry, zip64_from: u64) -> Vec<u8> {
    let zip64 = entry.file.is_some() && entry.size() >= zip64_from;
    let mut header = Vec::with_capacity(30 + entry.name.len() + 20);
    let (time, date) = dos_time(entry.modified);
    header.extend(LOCAL_HEADER.to_le_bytes());
    header.extend(version_needed(zip64).to_le_bytes());
    header.extend(flags(entry).to_le_bytes());
    header.extend(0u16.to_le_bytes()); // stored
    header.extend(time.to_le_bytes());
    header.extend(date.to_le_bytes());
    header.extend(0u32.to_le_bytes()); // CRC: in the descriptor
    let size = if zip64 { u32::MAX } else { 0 };
    header.extend(size.to_le_bytes());
    header.extend(size.to_le_bytes());
    header.extend((entry.name.len() as u16).to_le_bytes());
    header.extend((if zip64 { 20u16 } else { 0 }).to_le_bytes());
    header.extend(entry.name.as_bytes());
    if zip64 {
        header.extend(1u16.to_le_bytes());
        header.extend(16u16.to_le_bytes());
        header.extend([0; 16]);
    }
    header
}

fn descriptor_len(size: u64, zip64_from: u64) -> u64 {
    if size >= zip64_from {
        24
    } else {
        16
    }
}

/// A file's data descriptor: its CRC-32 and sizes, 8 bytes each for ZIP64.
fn descriptor(crc: u32, size: u64, zip64_from: u64) -> Vec<u8> {
    let mut descriptor = Vec::with_capacity(24);
    descriptor.extend(DATA_DESCRIPTOR.to_le_bytes());
    descriptor.extend(crc.to_le_bytes());
    for _ in 0..2 {
        match size >= zip64_from {
            true => descriptor.extend(size.to_le_bytes()),
            false => descriptor.extend((size as u32).to_le_bytes()),
        }
    }
    descriptor
}

/// An entry's central directory header, with a ZIP64 extra field holding
/// what 32 bits cannot (its sizes, its offset).
fn central_header(entry: &Entry, crc: u32, zip64_from: u64) -> Vec<u8> {
    let size = entry.size();
    let big_size = size >= zip64_from;
    let big_offset = entry.offset >= zip64_from;
    let mut extra = Vec::new();
    if big_size {
        extra.extend(size.to_le_bytes());
        extra.extend(size.to_le_bytes());
    }
    if big_offset {
        extra.extend(entry.offset.to_le_bytes());
    }
    let mut header = Vec::with_capacity(46 + entry.name.len() + 4 + extra.len());
    let (time, date) = dos_time(entry.modified);
    header.extend(CENTRAL_HEADER.to_le_bytes());
    // Made by: Unix (3), APPNOTE 4.5; the mode below is a Unix one.
    header.extend((3u16 << 8 | version_needed(big_size || big_offset)).to_le_bytes());
    header.extend(version_needed(big_size || big_offset).to_le_bytes());
    header.extend(flags(entry).to_le_bytes());
    header.extend(0u16.to_le_bytes());
    header.extend(time.to_le_bytes());
    header.extend(date.to_le_bytes());
    header.extend(crc.to_le_bytes());
    let short = |value: u64, big: bool| if big { u32::MAX } else { value as u32 };
    header.extend(short(size, big_size).to_le_bytes());
    header.extend(short(size, big_size).to_le_bytes());
    header.extend((entry.name.len() as u16).to_le_bytes());
    let extra_len = if extra.is_empty() { 0 } else { 4 + extra.len() };
    header.extend((extra_len as u16).to_le_bytes());
    header.extend([0; 6]); // comment length, disk, internal attributes
    let mode: u32 = if entry.file.is_some() {
        0o100644
    } else {
        0o040755
    };
    let dos_folder = if entry.file.is_some() { 0 } else { 0x10 };
    header.extend((mode << 16 | dos_folder).to_le_bytes());
    header.extend(short(entry.offset, big_offset).to_le_bytes());
    header.extend(entry.name.as_bytes());
    if !extra.is_empty() {
        header.extend(1u16.to_le_bytes());
        header.extend((extra.len() as u16).to_le_bytes());
        header.extend(extra);
    }
    header
}

fn needs_zip64_end(count: usize, (offset, len): (u64, u64), zip64_from: u64) -> bool {
    count >= 0xFFFF || offset >= zip64_from || len >= zip64_from
}

fn end_len(count: usize, directory: (u64, u64), zip64_from: u64) -> u64 {
    end_records(count, directory, zip64_from).len() as u64
}

/// The end of central directory record, after ZIP64's record and locator
/// when a count, offset or length does not fit.
fn end_records(count: usize, (offset, len): (u64, u64), zip64_from: u64) -> Vec<u8> {
    let mut end = Vec::with_capacity(98);
    let zip64 = needs_zip64_end(count, (offset, len), zip64_from);
    if zip64 {
        end.extend(ZIP64_END.to_le_bytes());
        end.extend(44u64.to_le_bytes());
        end.extend((3u16 << 8 | 45).to_le_bytes());
        end.extend(45u16.to_le_bytes());
        end.extend([0; 8]); // this disk, the directory's disk
        end.extend((count as u64).to_le_bytes());
        end.extend((count as u64).to_le_bytes());
        end.extend(len.to_le_bytes());
        end.extend(offset.to_le_bytes());
        end.extend(ZIP64_LOCATOR.to_le_bytes());
        end.extend(0u32.to_le_bytes());
        end.extend((offset + len).to_le_bytes());
        end.extend(1u32.to_le_bytes());
    }
    let short_count = if zip64 { 0xFFFF } else { count as u16 };
    let short = |value: u64| if zip64 { u32::MAX } else { value as u32 };
    end.extend(END.to_le_bytes());
    end.extend([0; 4]);
    end.extend(short_count.to_le_bytes());
    end.extend(short_count.to_le_bytes());
    end.extend(short(len).to_le_bytes());
    end.extend(short(offset).to_le_bytes());
    end.extend(0u16.to_le_bytes());
    end
}

fn version_needed(zip64: bool) -> u16 {
    if zip64 {
        45
    } else {
        20
    }
}

fn flags(entry: &Entry) -> u16 {
    match entry.file {
        Some(_) => FILE_FLAGS,
        None => FOLDER_FLAGS,
    }
}

/// The file name a browser saves the archive as: the folder's name, or
/// `site` for the root, with `.zip`.
pub fn file_name(path: &RequestPath) -> String {
    let folder = path.last_segment().map_or("site".into(), |last| {
        String::from_utf8_lossy(last).into_owned()
    });
    format!("{folder}.zip")
}

/// `Content-Disposition: attachment` for `name` (RFC 6266): an ASCII
/// fallback, and the name itself in UTF-8 (RFC 8187).
pub fn disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::new();
    target::percent_encode_into(&mut encoded, name.as_bytes(), b"");
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_is_named_for_its_folder() {
        let cases = [
            (
                "/photos/",
                "photos.zip",
                "attachment; filename=\"photos.zip\"; filename*=UTF-8''photos.zip",
            ),
            (
                "/",
                "site.zip",
                "attachment; filename=\"site.zip\"; filename*=UTF-8''site.zip",
            ),
            (
                "/%E7%85%A7%E7%89%87/",
                "照片.zip",
                "attachment; filename=\"__.zip\"; filename*=UTF-8''%E7%85%A7%E7%89%87.zip",
            ),
            (
                "/a%22b/",
                "a\"b.zip",
                "attachment; filename=\"a_b.zip\"; filename*=UTF-8''a%22b.zip",
            ),
        ];
        for (path, name, header) in cases {
            let path = target::parse_target(path).unwrap();
            assert_eq!(file_name(&path), name);
            assert_eq!(disposition(name), header);
        }
    }

    #[test]
    fn dos_times_count_from_1980_in_two_second_steps() {
        let at = |secs: u64| Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs));
        let cases = [
            // 2026-12-07 18:45:31 UTC
            (
                at(1_796_669_131),
                (18 << 11 | 45 << 5 | 15, 46 << 9 | 12 << 5 | 7),
            ),
            (at(0), (0, 1 << 5 | 1)),
            (None, (0, 1 << 5 | 1)),
        ];
        for (modified, expected) in cases {
            assert_eq!(dos_time(modified), expected, "{modified:?}");
        }
    }

    #[test]
    fn zip64_takes_over_where_32_bits_end() {
        let entry = |size: u64, offset: u64| Entry {
            name: "a".into(),
            file: Some((PathBuf::from("a"), size)),
            modified: None,
            offset,
        };
        let small = entry(10, 10);
        assert_eq!(local_header(&small, ZIP64_FROM).len(), 31);
        assert_eq!(central_header(&small, 0, ZIP64_FROM).len(), 47);
        assert_eq!(descriptor(0, 10, ZIP64_FROM).len(), 16);
        let big = entry(ZIP64_FROM, ZIP64_FROM + 1);
        assert_eq!(local_header(&big, ZIP64_FROM).len(), 31 + 20);
        assert_eq!(central_header(&big, 0, ZIP64_FROM).len(), 47 + 4 + 24);
        assert_eq!(descriptor(0, ZIP64_FROM, ZIP64_FROM).len(), 24);
        assert_eq!(end_records(1, (10, 10), ZIP64_FROM).len(), 22);
        assert_eq!(
            end_records(1, (ZIP64_FROM, 10), ZIP64_FROM).len(),
            22 + 56 + 20
        );
        assert_eq!(
            end_records(0xFFFF, (10, 10), ZIP64_FROM).len(),
            22 + 56 + 20
        );
    }
}
