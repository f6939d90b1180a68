//! Which representation of a file is sent (RFC 9110 §12.5.3, §8.3): the
//! file as it is, a precompressed sibling (`.br`, `.gz`), or its cached
//! bytes compressed, as `Accept-Encoding` chooses; and the media type a
//! file's name gives it. The [`Representation`] is the value the rest of
//! serving works on: its bytes, length, type and validators.

use std::borrow::Cow;
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};

use crate::files::cache::{self, FileCache};
use crate::files::conditional::Validators;
use crate::files::decision::Negotiation;
use crate::files::root::Root;
use crate::protocol::coding::{self, Coding};
use crate::protocol::{Method, Request, Source};
use crate::sys::FileStamp;

/// One representation of what the target names: the value the whole
/// pipeline is about. Its bytes are cut into the response's body as they
/// are: from the open file (sendfile), or from memory (a cached file, its
/// compressed form, a listing's page).
pub struct Representation {
    /// Where the bytes are.
    pub source: Source,
    /// How many bytes it has.
    pub size: u64,
    pub content_type: Cow<'static, str>,
    /// Its entity-tag and modification time, for the preconditions.
    pub validators: Validators,
    /// Which coding `Accept-Encoding` chose, and whether there was a choice.
    pub negotiation: Negotiation,
    /// Whether `Range` applies: to a file's bytes; not to a generated page,
    /// which a server may always answer whole (RFC 9110 §14.2).
    pub ranges: bool,
}

/// A precompressed file beside the one asked for (`style.css.br`).
struct Sibling {
    coding: Coding,
    file: File,
    metadata: Metadata,
    path: PathBuf,
}

impl Sibling {
    /// The precompressed files beside `path`, in [`Coding::ALL`]'s order.
    fn all(root: &Root, path: &Path) -> Vec<Sibling> {
        Coding::ALL
            .into_iter()
            .filter_map(|coding| {
                let (file, metadata, path) = root.sibling(path, coding)?;
                Some(Sibling {
                    coding,
                    file,
                    metadata,
                    path,
                })
            })
            .collect()
    }

    /// The sibling in `coding`, if there is one, taken out of `siblings`.
    fn take(siblings: &mut Vec<Sibling>, coding: Coding) -> Option<Sibling> {
        let at = siblings
            .iter()
            .position(|sibling| sibling.coding == coding)?;
        Some(siblings.swap_remove(at))
    }

    /// The sibling as the representation sent: its own bytes, length and
    /// validators, with the media type of the file it is a coding of.
    fn into_representation(
        self,
        content_type: Cow<'static, str>,
        negotiation: Negotiation,
    ) -> Representation {
        Representation {
            validators: Validators::of(&FileStamp::of(&self.file, &self.metadata)),
            size: self.metadata.len(),
            source: Source::File(self.file),
            content_type,
            negotiation,
            ranges: true,
        }
    }
}

/// The representation of an open file that `Accept-Encoding` chooses
/// among the file as it is, a precompressed sibling (`.br`, `.gz`), and,
/// for a small file of a compressible type, its cached bytes compressed. A
/// sibling is preferred to compressing in memory; what cannot be had falls
/// back to the file.
pub fn choose_coding(
    request: &Request,
    root: &Root,
    file: File,
    metadata: &Metadata,
    path: &Path,
    cache: &FileCache,
) -> Representation {
    // One stamp of the open file: the validators and the cache both read it.
    let stamp = FileStamp::of(&file, metadata);
    let validators = Validators::of(&stamp);
    let (content_type, compressible) = media_type(path);
    let mut siblings = Sibling::all(root, path);
    let in_memory =
        cache.compresses() && compressible && stamp.size <= cache::MAX_CACHED_FILE_BYTES;
    let varies = in_memory || !siblings.is_empty();
    // A small file is sent from memory with its head in one write; HEAD
    // needs no bytes, unless compressed ones are to be measured.
    let cached = match request.method {
        Method::Head if !in_memory => None,
        _ => cache.bytes(path, &file, &stamp, &validators, &content_type, varies),
    };
    let mut available: Vec<Coding> = siblings.iter().map(|sibling| sibling.coding).collect();
    if in_memory && cached.is_some() {
        available.extend(Coding::ALL);
    }
    let mut negotiation = Negotiation {
        varies,
        coding: coding::negotiate(request.field_values("accept-encoding"), &available),
        ..Negotiation::default()
    };
    let coding = negotiation.coding;
    if let Some(sibling) = coding.and_then(|coding| Sibling::take(&mut siblings, coding)) {
        negotiation.sibling = Some(sibling.path.clone());
        return sibling.into_representation(content_type, negotiation);
    }
    let compressed = coding.and_then(|coding| cache.compressed(path, &stamp, coding));
    let (source, size, validators) = match (compressed, coding) {
        (Some(bytes), Some(coding)) => {
            let size = bytes.len() as u64;
            (Source::Shared(bytes), size, validators.for_coding(coding))
        }
        _ => {
            negotiation.coding = None;
            let source = cached.map_or(Source::File(file), Source::Shared);
            (source, stamp.size, validators)
        }
    };
    Representation {
        source,
        size,
        content_type,
        validators,
        negotiation,
        ranges: true,
    }
}

/// The media type for a file name; text types are declared UTF-8, the
/// encoding the files of this site are written in.
pub fn content_type(path: &Path) -> Cow<'static, str> {
    media_type(path).0
}

/// The text types a site serves most, with their charset: named without
/// an allocation on every request. Any other text type is formatted.
const TEXT_TYPES: &[(&str, &str)] = &[
    ("text/html", "text/html; charset=utf-8"),
    ("text/css", "text/css; charset=utf-8"),
    ("text/javascript", "text/javascript; charset=utf-8"),
    (
        "application/javascript",
        "application/javascript; charset=utf-8",
    ),
    ("text/plain", "text/plain; charset=utf-8"),
    ("application/json", "application/json; charset=utf-8"),
    ("image/svg+xml", "image/svg+xml; charset=utf-8"),
    ("application/xml", "application/xml; charset=utf-8"),
    ("text/markdown", "text/markdown; charset=utf-8"),
    ("text/csv", "text/csv; charset=utf-8"),
];

/// Extensions whose type `mime_guess` gives as no registry does, and the
/// type to send instead.
const TYPE_OVERRIDES: &[(&str, &str)] = &[
    // Windows' Sound Recorder saves `.m4a`; MPEG-4 audio is `audio/mp4`
    // (RFC 4337), not the unregistered `audio/m4a`.
    ("m4a", "audio/mp4"),
];

/// The media type for a file name, and whether it is text: text/*,
/// JavaScript, JSON, XML and SVG, which are declared UTF-8 and are the
/// types worth compressing (images, audio and archives are compressed
/// already).
pub fn media_type(path: &Path) -> (Cow<'static, str>, bool) {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if let Some((_, media)) = TYPE_OVERRIDES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(extension))
    {
        return (Cow::Borrowed(media), false);
    }
    // The type as mime_guess's table holds it: a static string, parsed
    // into nothing.
    let essence = mime_guess::from_ext(extension)
        .first_raw()
        .unwrap_or("application/octet-stream");
    let is_text = essence.starts_with("text/")
        || matches!(
            essence,
            "application/javascript" | "application/json" | "application/xml" | "image/svg+xml"
        );
    if !is_text {
        return (Cow::Borrowed(essence), false);
    }
    let known = TEXT_TYPES.iter().find(|(media, _)| *media == essence);
    match known {
        Some((_, with_charset)) => (Cow::Borrowed(with_charset), true),
        None => (Cow::Owned(format!("{essence}; charset=utf-8")), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_table() {
        let cases = [
            ("index.html", "text/html; charset=utf-8"),
            ("style.css", "text/css; charset=utf-8"),
            ("notes.txt", "text/plain; charset=utf-8"),
            ("data.json", "application/json; charset=utf-8"),
            ("logo.png", "image/png"),
            ("introduction.mp3", "audio/mpeg"),
            ("picture.svg", "image/svg+xml; charset=utf-8"),
            ("no-extension", "application/octet-stream"),
            // What a student's page uses, recorded and drawn on Windows.
            ("introduction.m4a", "audio/mp4"),
            ("INTRODUCTION.M4A", "audio/mp4"),
            ("introduction.wav", "audio/wav"),
            ("introduction.ogg", "audio/ogg"),
            ("logo.webp", "image/webp"),
            ("logo.jpg", "image/jpeg"),
            ("favicon.ico", "image/x-icon"),
            ("m4a", "application/octet-stream"),
            // Named from a static table, whatever the case; any other text
            // type formatted with its charset.
            ("INDEX.HTML", "text/html; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("notes.md", "text/markdown; charset=utf-8"),
            ("feed.xml", "text/xml; charset=utf-8"),
            ("slides.rtf", "application/rtf"),
        ];
        for (name, expected) in cases {
            assert_eq!(content_type(Path::new(name)), expected, "{name}");
        }
    }
}
