//! The status codes this server sends (RFC 9110 §15, RFC 6585, RFC 4918's
//! 507), with their
//! codes and reason phrases: the one vocabulary every part uses for them.

/// The status codes this server sends (RFC 9110 §15, RFC 6585).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Continue,
    Ok,
    /// `--upload`: the files are stored (a script's answer).
    Created,
    NoContent,
    PartialContent,
    MovedPermanently,
    /// `--upload`: a form's answer, back to the listing (RFC 9110 §15.4.4).
    SeeOther,
    NotModified,
    BadRequest,
    /// RFC 9110 §15.5.2: credentials are needed, and `WWW-Authenticate` says how.
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    /// `--upload`: no free name was left for a file.
    Conflict,
    PreconditionFailed,
    ContentTooLarge,
    UriTooLong,
    /// `--upload`: a body that is not `multipart/form-data`.
    UnsupportedMediaType,
    RangeNotSatisfiable,
    /// RFC 9110 §15.5.20: the request was not meant for this server (the
    /// inspector's answer to a `Host` that is not one of its names).
    MisdirectedRequest,
    RequestHeaderFieldsTooLarge,
    InternalServerError,
    NotImplemented,
    ServiceUnavailable,
    HttpVersionNotSupported,
    /// `--upload`: the disk is full (RFC 4918 §11.5).
    InsufficientStorage,
}

impl Status {
    /// The three-digit code.
    pub fn code(self) -> u16 {
        match self {
            Status::Continue => 100,
            Status::Ok => 200,
            Status::Created => 201,
            Status::NoContent => 204,
            Status::PartialContent => 206,
            Status::MovedPermanently => 301,
            Status::SeeOther => 303,
            Status::NotModified => 304,
            Status::BadRequest => 400,
            Status::Unauthorized => 401,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::Conflict => 409,
            Status::PreconditionFailed => 412,
            Status::ContentTooLarge => 413,
            Status::UriTooLong => 414,
            Status::UnsupportedMediaType => 415,
            Status::RangeNotSatisfiable => 416,
            Status::MisdirectedRequest => 421,
            Status::RequestHeaderFieldsTooLarge => 431,
            Status::InternalServerError => 500,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
            Status::HttpVersionNotSupported => 505,
            Status::InsufficientStorage => 507,
        }
    }

    /// The reason phrase RFC 9110 gives the code.
    pub fn reason(self) -> &'static str {
        match self {
            Status::Continue => "Continue",
            Status::Ok => "OK",
            Status::Created => "Created",
            Status::NoContent => "No Content",
            Status::PartialContent => "Partial Content",
            Status::MovedPermanently => "Moved Permanently",
            Status::SeeOther => "See Other",
            Status::NotModified => "Not Modified",
            Status::BadRequest => "Bad Request",
            Status::Unauthorized => "Unauthorized",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            Status::Conflict => "Conflict",
            Status::PreconditionFailed => "Precondition Failed",
            Status::ContentTooLarge => "Content Too Large",
            Status::UriTooLong => "URI Too Long",
            Status::UnsupportedMediaType => "Unsupported Media Type",
            Status::RangeNotSatisfiable => "Range Not Satisfiable",
            Status::MisdirectedRequest => "Misdirected Request",
            Status::RequestHeaderFieldsTooLarge => "Request Header Fields Too Large",
            Status::InternalServerError => "Internal Server Error",
            Status::NotImplemented => "Not Implemented",
            Status::ServiceUnavailable => "Service Unavailable",
            Status::HttpVersionNotSupported => "HTTP Version Not Supported",
            Status::InsufficientStorage => "Insufficient Storage",
        }
    }

    /// RFC 9110 §6.4.1: 1xx, 204 and 304 responses never have content, and
    /// RFC 9110 §8.6 forbids Content-Length on 1xx and 204. A 304 could carry
    /// the 200's length, but sending none is simpler and always correct.
    pub fn has_content(self) -> bool {
        !matches!(
            self,
            Status::Continue | Status::NoContent | Status::NotModified
        )
    }
}

impl std::fmt::Display for Status {
    /// `404 Not Found`: the code and the reason phrase.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code(), self.reason())
    }
}
