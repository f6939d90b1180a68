//! `--cors`: the CORS protocol of the Fetch standard, for a server of
//! static files. A response tells a page of another origin that it may
//! read it (`Access-Control-Allow-Origin`); a preflight (`OPTIONS` with
//! `Origin` and `Access-Control-Request-Method`) asks first, for a request
//! a page may not send unasked, and is answered `204` with what may be sent.
//! Without `--cors` none of this is sent.

use crate::protocol::fields::{is_tchar, list_items};
use crate::protocol::request::Request;
use crate::protocol::Method;

/// The methods a preflight is told; those a file server answers.
pub const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";
/// How long a browser may keep a preflight's answer, in seconds.
pub const MAX_AGE_SECS: u32 = 600;
/// Response fields a page's script may read besides the safelisted ones:
/// those a page that fetches files needs (revalidation, ranges).
pub const EXPOSED: &str = "ETag, Content-Range, Accept-Ranges, Content-Encoding, Vary";

/// Which origins may read the responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cors {
    /// Bare `--cors`: any origin (`*`).
    Any,
    /// `--cors ORIGIN`, repeated: only these.
    Origins(Vec<String>),
}

/// What a request's `Origin` is granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The `Access-Control-Allow-Origin` value; `None` for an origin not
    /// allowed, which the browser then refuses to share the answer with.
    pub allow_origin: Option<String>,
    /// Whether that depends on the request's `Origin`: then every answer
    /// says `Vary: Origin`, so that a cache keeps them apart.
    pub varies: bool,
}

/// A preflight, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    pub origin: String,
    /// `Access-Control-Request-Method`.
    pub method: String,
    /// `Access-Control-Request-Headers`, lower-cased; `None` when it is not
    /// a list of field names, and so not echoed.
    pub headers: Option<Vec<String>>,
    pub grant: Grant,
}

impl Preflight {
    /// Whether the method asked for is one the server answers.
    pub fn method_allowed(&self) -> bool {
        ["GET", "HEAD", "OPTIONS"].contains(&self.method.as_str())
    }
}

impl Cors {
    /// The policy of the `--cors` flags given: none named is any origin.
    pub fn from_origins(origins: Vec<String>) -> Cors {
        let named: Vec<String> = origins.into_iter().filter(|o| !o.is_empty()).collect();
        if named.is_empty() {
            Cors::Any
        } else {
            Cors::Origins(named)
        }
    }

    /// Checks an origin as given on the command line: `scheme://host` with
    /// an optional port, as a browser serializes it (RFC 6454 §6.2).
    pub fn parse_origin(text: &str) -> Result<String, String> {
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(format!(
                "{text:?} is not an origin: expected scheme://host[:port]"
            ));
        };
        let scheme_ok = !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if !scheme_ok || rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
            return Err(format!(
                "{text:?} is not an origin: expected scheme://host[:port], with no path \
                 (not even a trailing /)"
            ));
        }
        Ok(text.to_ascii_lowercase())
    }

    /// What `origin` (the request's `Origin`, if any) is granted. `*` is
    /// sent on every answer, `Origin` or not: it never depends on the
    /// request, so a cached answer serves a later cross-origin request too.
    pub fn grant(&self, origin: Option<&[u8]>) -> Grant {
        match self {
            Cors::Any => Grant {
                allow_origin: Some("*".to_string()),
                varies: false,
            },
            Cors::Origins(allowed) => Grant {
                allow_origin: origin
                    .and_then(|origin| std::str::from_utf8(origin).ok())
                    .filter(|origin| allowed.iter().any(|a| a == origin))
                    .map(str::to_string),
                varies: true,
            },
        }
    }

    /// The preflight `request` is, if it is one (Fetch: an `OPTIONS` with
    /// `Origin` and `Access-Control-Request-Method`).
    pub fn preflight(&self, request: &Request) -> Option<Preflight> {
        if request.method != Method::Options {
            return None;
        }
        let origin = request.field_values("origin").next()?;
        let method = request
            .field_values("access-control-request-method")
            .next()?;
        let headers = requested_headers(request);
        Some(Preflight {
            origin: String::from_utf8_lossy(origin).into_owned(),
            method: String::from_utf8_lossy(method).trim().to_string(),
            headers,
            grant: self.grant(Some(origin)),
        })
    }
}

/// `Access-Control-Request-Headers`: a list of field names (Fetch), each
/// checked against the token grammar before it is echoed; `None` if one
/// is not a field name.
fn requested_headers(request: &Request) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for value in request.field_values("access-control-request-headers") {
        for name in list_items(value) {
            if !name.iter().copied().all(is_tchar) {
                return None;
            }
            names.push(String::from_utf8_lossy(name).to_ascii_lowercase());
        }
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::request::parse_head;

    fn request(head: &str) -> Request {
        parse_head(head.as_bytes()).unwrap().unwrap().0
    }

    #[test]
    fn grants_table() {
        let list = Cors::from_origins(vec!["http://a.test".into(), "http://b.test:8080".into()]);
        let cases: [(&Cors, Option<&str>, Option<&str>, bool); 6] = [
            (&Cors::Any, Some("http://x.test"), Some("*"), false),
            (&Cors::Any, None, Some("*"), false),
            (&list, Some("http://a.test"), Some("http://a.test"), true),
            (
                &list,
                Some("http://b.test:8080"),
                Some("http://b.test:8080"),
                true,
            ),
            (&list, Some("http://b.test"), None, true),
            (&list, None, None, true),
        ];
        for (cors, origin, allowed, varies) in cases {
            let grant = cors.grant(origin.map(str::as_bytes));
            assert_eq!(grant.allow_origin.as_deref(), allowed, "{origin:?}");
            assert_eq!(grant.varies, varies, "{origin:?}");
        }
    }

    #[test]
    fn preflights_table() {
        let cors = Cors::Any;
        let preflight = |extra: &str| {
            cors.preflight(&request(&format!(
                "OPTIONS /a HTTP/1.1\r\nHost: t\r\n{extra}\r\n"
            )))
        };
        assert_eq!(preflight(""), None);
        assert_eq!(preflight("Origin: http://x\r\n"), None);
        assert_eq!(preflight("Access-Control-Request-Method: GET\r\n"), None);
        let asked = preflight(
            "Origin: http://x\r\nAccess-Control-Request-Method: GET\r\n\
             Access-Control-Request-Headers: Range, X-Custom\r\n",
        )
        .unwrap();
        assert_eq!(asked.headers, Some(vec!["range".into(), "x-custom".into()]));
        assert!(asked.method_allowed());
        let bad = preflight(
            "Origin: http://x\r\nAccess-Control-Request-Method: PUT\r\n\
             Access-Control-Request-Headers: a b\r\n",
        )
        .unwrap();
        assert_eq!(bad.headers, None);
        assert!(!bad.method_allowed());
        let get = request("GET /a HTTP/1.1\r\nHost: t\r\nOrigin: http://x\r\nAccess-Control-Request-Method: GET\r\n\r\n");
        assert_eq!(cors.preflight(&get), None);
    }

    #[test]
    fn origins_on_the_command_line_table() {
        for (text, ok) in [
            ("http://localhost:3000", true),
            ("https://Example.COM", true),
            ("http://localhost:3000/", false),
            ("localhost:3000", false),
            ("http://", false),
            ("http://a/b", false),
        ] {
            assert_eq!(Cors::parse_origin(text).is_ok(), ok, "{text}");
        }
    }
}
