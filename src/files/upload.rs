//! `--sink PATH`: where the TCP lab uploads a file to watch TCP carry it.
//! A `POST` there has its body read to the end and thrown away, nothing
//! written anywhere; the answer says how many bytes came, how fast, and
//! for a form, each part's field, file name and size. A `GET` there is the
//! form to upload with. The body is read by the connection (it alone holds
//! the socket); this module decides who may upload, and what is answered.

use crate::files::decision::Upload;
use crate::files::target::{self, RequestPath};
use crate::protocol::visible::{html_escape, visible};
use crate::protocol::words::Said;
use crate::protocol::{Body, Response, Status};

/// The largest upload taken by default (`--sink-limit`).
pub const DEFAULT_SINK_LIMIT: u64 = 100 * 1024 * 1024;

/// Where uploads go, and how large they may be.
#[derive(Debug, Clone)]
pub struct Sink {
    path: RequestPath,
    limit: u64,
}

impl Sink {
    /// A sink at `path` (absolute, as a request names it) taking bodies of
    /// up to `limit` bytes.
    pub fn new(path: &str, limit: u64) -> Result<Sink, &'static str> {
        if !path.starts_with('/') {
            return Err("a path that starts with /");
        }
        let path = target::parse_target(path).map_err(|_| "a path this server could serve")?;
        Ok(Sink { path, limit })
    }

    /// The same sink, taking bodies of up to `limit` bytes.
    pub fn with_limit(self, limit: u64) -> Sink {
        Sink { limit, ..self }
    }

    /// Whether `path` names the sink (with or without a trailing slash).
    pub fn is_at(&self, path: &RequestPath) -> bool {
        path.same_segments(&self.path)
    }

    /// The largest body taken.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Its path, as a URL path.
    pub fn url_path(&self) -> String {
        self.path.to_url_path()
    }
}

impl Upload {
    /// `153600 bytes in 12.3 ms, 12.5 MB/s`, in both languages.
    pub fn summary(&self) -> Said {
        let millis = self.duration.as_secs_f64() * 1000.0;
        let bytes = self.bytes;
        match self.duration.as_secs_f64() {
            seconds if seconds > 0.0 => {
                let rate = format!("{:.1} MB/s", bytes as f64 / seconds / 1e6);
                Said::new(
                    format!("{bytes} bytes in {millis:.1} ms, {rate}"),
                    format!("{bytes} 字节，用时 {millis:.1} ms，{rate}"),
                )
            }
            _ => Said::new(
                format!("{bytes} bytes in {millis:.1} ms, all at once"),
                format!("{bytes} 字节，用时 {millis:.1} ms，一次全部到达"),
            ),
        }
    }

    /// One line per part, in both languages: `field "file", file "a.txt",
    /// 153425 bytes`.
    pub fn parts(&self) -> Vec<Said> {
        let Some(form) = &self.form else {
            return Vec::new();
        };
        let mut lines: Vec<Said> = form.parts.iter().map(describe_part).collect();
        if form.more_parts > 0 {
            let more = form.more_parts;
            lines.push(Said::new(
                format!("{more} more parts, counted"),
                format!("另有 {more} 个部分，只计了数"),
            ));
        }
        if let Some(why) = form.failed {
            lines.push(Said::new(
                format!("not read as multipart/form-data to its end: {}", why.en),
                format!("没能按 multipart/form-data 读到末尾：{}", why.zh),
            ));
        }
        lines
    }
}

/// One part of a form: its field, its file name, its size.
fn describe_part(part: &crate::protocol::form::Part) -> Said {
    let size = part.size;
    let (name_en, name_zh) = match part.name.as_deref() {
        Some(name) => (visible(name.as_bytes()), visible(name.as_bytes())),
        None => ("(none)".to_string(), "（无）".to_string()),
    };
    match &part.filename {
        Some(file) => {
            let file = visible(file.as_bytes());
            Said::new(
                format!("field \"{name_en}\", file \"{file}\", {size} bytes"),
                format!("字段 \"{name_zh}\"，文件 \"{file}\"，{size} 字节"),
            )
        }
        None => Said::new(
            format!("field \"{name_en}\", {size} bytes"),
            format!("字段 \"{name_zh}\"，{size} 字节"),
        ),
    }
}

/// A small page of its own, never kept by a cache.
pub fn page(title: &str, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:40em}}</style>\
         </head>\n<body><h1>{title}</h1>\n{body}</body></html>\n"
    );
    Response::new(Status::Ok, Body::Bytes(page.into_bytes()))
        .with_field("Content-Type", "text/html; charset=utf-8")
        .with_field("Cache-Control", "no-store")
}

/// The form to upload with (`GET` at the sink).
pub fn form_page(sink: &Sink) -> Response {
    let action = html_escape(&sink.url_path());
    page(
        "Upload a file",
        &format!(
            "<p>Choose a file and send it: watch, in Wireshark, TCP carry it in segments, \
             each acknowledged, the window opening. The server reads every byte and keeps none.</p>\n\
             <form method=\"post\" action=\"{action}\" enctype=\"multipart/form-data\">\n\
             <input type=\"file\" name=\"file\" required>\n<button type=\"submit\">Upload</button>\n\
             </form>\n"
        ),
    )
}

/// The answer to an upload read to its end.
pub fn report_page(upload: &Upload) -> Response {
    let mut body = format!(
        "<p id=\"received\">{}</p>\n",
        html_escape(&upload.summary().en)
    );
    let parts = upload.parts();
    if !parts.is_empty() {
        body.push_str("<ul id=\"parts\">\n");
        for part in parts {
            body.push_str(&format!("<li>{}</li>\n", html_escape(&part.en)));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("<p>Nothing was kept: the bytes were read and thrown away.</p>\n");
    page("Upload received", &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::form::FormReport;
    use crate::protocol::form::Part;
    use std::time::Duration;

    #[test]
    fn sinks_are_at_their_path_only() {
        let sink = Sink::new("/upload", 10).unwrap();
        for (target, at) in [
            ("/upload", true),
            ("/upload/", true),
            ("/upload?x=1", true),
            ("/uploads", false),
            ("/", false),
            ("/upload/a", false),
        ] {
            assert_eq!(
                sink.is_at(&target::parse_target(target).unwrap()),
                at,
                "{target}"
            );
        }
        assert!(Sink::new("upload", 10).is_err());
        assert!(
            Sink::new("/../x", 10).is_err()
                || !Sink::new("/../x", 10)
                    .unwrap()
                    .is_at(&target::parse_target("/x").unwrap())
        );
    }

    #[test]
    fn an_upload_is_summed_up_with_its_parts_made_safe() {
        let upload = Upload {
            bytes: 2_000_000,
            duration: Duration::from_millis(100),
            form: Some(FormReport {
                parts: vec![
                    Part {
                        name: Some("file".into()),
                        filename: Some("<b>\u{202E}x.txt".into()),
                        size: 1_999_000,
                    },
                    Part {
                        name: None,
                        filename: None,
                        size: 3,
                    },
                ],
                more_parts: 0,
                failed: None,
            }),
        };
        assert_eq!(upload.summary().en, "2000000 bytes in 100.0 ms, 20.0 MB/s");
        assert_eq!(
            upload.summary().zh,
            "2000000 字节，用时 100.0 ms，20.0 MB/s"
        );
        assert_eq!(
            upload
                .parts()
                .iter()
                .map(|part| part.en.as_str())
                .collect::<Vec<_>>(),
            [
                "field \"file\", file \"<b>\\u{202E}x.txt\", 1999000 bytes",
                "field \"(none)\", 3 bytes"
            ]
        );
        let Body::Bytes(page) = report_page(&upload).body else {
            panic!()
        };
        let page = String::from_utf8(page).unwrap();
        assert!(
            page.contains("&lt;b&gt;\\u{202E}x.txt") && !page.contains("<b>"),
            "{page}"
        );
    }
}
