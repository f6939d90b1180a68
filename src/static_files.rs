//! Serving files: [`serve`] turns one request into one response, in the order
//! RFC 9110 gives — method, then target, then the file and its fields.

use std::fs::Metadata;
use std::path::Path;
use std::time::UNIX_EPOCH;

use crate::fs::{self, OpenError, Resolved, Root};
use crate::request::{Method, Request};
use crate::response::{Body, Response, Status};

/// The methods this server implements (RFC 9110 §9.1: GET and HEAD are
/// the methods every general-purpose server supports).
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// Answers `request` from the files under `root`.
pub fn serve(request: &Request, root: &Root) -> Response {
    match request.method {
        Method::Get | Method::Head => {}
        // RFC 9110 §9.3.7: OPTIONS, for "*" or for a resource, lists the methods.
        Method::Options => {
            return Response::new(Status::NoContent, Body::Empty)
                .with_field("Allow", ALLOW.to_string())
        }
        // RFC 9110 §15.6.2: a method the server does not recognise → 501.
        Method::Unknown => return Response::error(Status::NotImplemented),
        // RFC 9110 §15.5.6: a known method this resource does not support →
        // 405, and the response MUST list the supported ones in Allow.
        _ => {
            return Response::error(Status::MethodNotAllowed).with_field("Allow", ALLOW.to_string())
        }
    }

    let path = match fs::parse_target(request.target()) {
        Ok(path) => path,
        Err(refusal) => return Response::error(refusal.status()),
    };
    match root.open(&path) {
        Ok(Resolved::File {
            file,
            metadata,
            path,
        }) => {
            let len = metadata.len();
            Response::new(
                Status::Ok,
                Body::File {
                    file,
                    offset: 0,
                    len,
                },
            )
            .with_file_fields(&path, &metadata)
        }
        Ok(Resolved::DirectoryWithoutSlash) => {
            // Relative references would be shorter, but an absolute path with
            // exactly one leading slash is what learners expect to read.
            let mut location = path.to_url_path();
            location.push('/');
            if let Some(query) = &path.query {
                location.push('?');
                location.push_str(query);
            }
            Response::error(Status::MovedPermanently).with_field("Location", location)
        }
        Err(error) => {
            if let OpenError::Io(detail) = &error {
                log::error!("reading {}: {detail}", request.target().escape_debug());
            }
            Response::error(error.status())
        }
    }
}

impl Response {
    /// The fields every file response carries (RFC 9110 §8.3, §8.8, §14.3).
    fn with_file_fields(self, path: &Path, metadata: &Metadata) -> Response {
        let mut response = self
            .with_field("Content-Type", content_type(path))
            .with_field("Accept-Ranges", "bytes".to_string())
            // Browsers revalidate every time, so a reload shows 304s.
            .with_field("Cache-Control", "no-cache".to_string())
            .with_field("ETag", entity_tag(metadata));
        if let Ok(modified) = metadata.modified() {
            response = response.with_field("Last-Modified", httpdate::fmt_http_date(modified));
        }
        response
    }
}

/// A strong entity-tag from the file's size and modification time in
/// nanoseconds: any write that changes either changes the tag.
pub fn entity_tag(metadata: &Metadata) -> String {
    let nanos = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("\"{:x}-{:x}\"", metadata.len(), nanos)
}

/// The media type for a file name; text types are declared UTF-8, the
/// encoding the files of this site are written in.
pub fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let is_text = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.essence_str(),
            "application/javascript" | "application/json" | "application/xml" | "image/svg+xml"
        );
    if is_text {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
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
        ];
        for (name, expected) in cases {
            assert_eq!(content_type(Path::new(name)), expected, "{name}");
        }
    }
}
