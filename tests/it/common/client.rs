//! A raw HTTP/1.1 client that reads exactly one response at a time (never
//! to EOF on a kept-alive connection), and the response it reads.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::launch::TestServer;

/// How long a test waits on a socket before it gives up: a safety net so a
/// broken server fails the test instead of hanging it, never a measurement.
pub const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);

/// A response as read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Its fields in order, `Date` aside: what two answers to the same
    /// request must share.
    pub fn fields_without_date(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("date"))
            .cloned()
            .collect()
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A raw HTTP/1.1 client over one TCP connection.
pub struct Client {
    pub stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        Client::over(TcpStream::connect(addr).expect("connect"))
    }

    /// A client over a connection the test made itself.
    pub fn over(stream: TcpStream) -> Client {
        stream.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(SOCKET_TIMEOUT)).unwrap();
        Client {
            stream,
            buffer: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send request");
    }

    /// Reads one response: its head, then exactly Content-Length body bytes
    /// (none for HEAD, 1xx, 204 and 304).
    pub fn read_reply(&mut self, head_request: bool) -> Reply {
        self.try_read_reply(head_request)
            .unwrap_or_else(|why| panic!("no complete response: {why}"))
    }

    pub fn try_read_reply(&mut self, head_request: bool) -> Result<Reply, String> {
        let (status, headers, head_len) = loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut slots);
            match response.parse(&self.buffer) {
                Ok(httparse::Status::Complete(n)) => {
                    let headers = response
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_string(),
                                String::from_utf8_lossy(h.value).into_owned(),
                            )
                        })
                        .collect::<Vec<_>>();
                    break (response.code.unwrap(), headers, n);
                }
                Ok(httparse::Status::Partial) => self.fill()?,
                Err(error) => {
                    return Err(format!(
                        "bad response head {error:?}: {:?}",
                        String::from_utf8_lossy(&self.buffer)
                    ))
                }
            }
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_len]).into_owned();
        self.buffer.drain(..head_len);
        let has_body = !head_request && status >= 200 && status != 204 && status != 304;
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse::<usize>().expect("numeric Content-Length"));
        let body_len = if has_body { length.unwrap_or(0) } else { 0 };
        while self.buffer.len() < body_len {
            self.fill()?;
        }
        let body = self.buffer.drain(..body_len).collect();
        Ok(Reply {
            status,
            head,
            headers,
            body,
        })
    }

    /// Whether the server has closed the connection: the next read sees EOF
    /// (or a reset) with no further bytes.
    pub fn is_closed(&mut self) -> bool {
        if !self.buffer.is_empty() {
            return false;
        }
        let mut byte = [0u8; 1];
        match self.read_some(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(error) => matches!(
                error.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            ),
        }
    }

    /// One read, again when it was interrupted: a read with a timeout is
    /// never restarted by the kernel, so a signal, or the test machine
    /// being paused, would otherwise read as a failure of the server.
    fn read_some(&mut self, into: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.stream.read(into) {
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 16 * 1024];
        match self.read_some(&mut chunk) {
            Ok(0) => Err(format!(
                "connection closed after {:?}",
                String::from_utf8_lossy(&self.buffer)
            )),
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(error) => Err(format!("read failed: {error}")),
        }
    }
}

/// Asks each request twice: alone on a fresh connection, and on one
/// kept-alive connection that carries every request of the test, and
/// checks that both answers agree, so that no answer depends on what the
/// connection carried before.
pub struct BothWays<'a> {
    server: &'a TestServer,
    kept: Client,
}

impl<'a> BothWays<'a> {
    pub fn new(server: &'a TestServer) -> BothWays<'a> {
        BothWays {
            server,
            kept: server.connect(),
        }
    }

    /// The answer to `raw` (the fresh connection's), once both agree.
    pub fn get(&mut self, raw: &str) -> Reply {
        let head_request = raw.starts_with("HEAD ");
        let fresh = self.server.get(raw);
        self.kept.send(raw.as_bytes());
        let kept = self.kept.read_reply(head_request);
        assert_eq!(
            kept.status, fresh.status,
            "{raw:?} on the kept-alive connection"
        );
        assert_eq!(
            kept.body, fresh.body,
            "{raw:?} on the kept-alive connection"
        );
        let fields = |reply: &Reply| {
            let mut fields = reply.fields_without_date();
            fields.sort();
            fields
        };
        assert_eq!(
            fields(&kept),
            fields(&fresh),
            "{raw:?} on the kept-alive connection"
        );
        fresh
    }
}

/// One request on a connection of its own, and its reply.
pub fn request_once(addr: SocketAddr, raw: &str) -> Reply {
    let mut client = Client::connect(addr);
    client.send(raw.as_bytes());
    client.read_reply(raw.starts_with("HEAD "))
}

/// Opens kept-alive connections to `addr`, one `GET /hello.txt` each, and
/// holds them until one is answered with anything but 200: returns the
/// held connections (that one last) and its answer. Fails if `most`
/// connections were all answered 200, or if one hangs.
pub fn hold_until_refused(addr: SocketAddr, most: usize) -> (Vec<Client>, Reply) {
    let mut held = Vec::new();
    loop {
        assert!(held.len() < most, "{most} connections, none refused");
        let mut client = Client::connect(addr);
        client.send(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
        let reply = client
            .try_read_reply(false)
            .unwrap_or_else(|why| panic!("connection {} hung: {why}", held.len() + 1));
        held.push(client);
        if reply.status != 200 {
            return (held, reply);
        }
    }
}

/// An `Authorization` field line with Basic credentials for `pair`
/// (`user:password`), as a client sends it.
pub fn basic(pair: &str) -> String {
    use base64::Engine;
    format!(
        "Authorization: Basic {}\r\n",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Reads from `client` until `needle` has arrived, or `limit` has passed:
/// for a stream that never ends (an event stream), where a reply has no
/// length to wait for.
pub fn read_until(client: &mut Client, needle: &str, limit: std::time::Duration) -> String {
    client
        .stream
        .set_read_timeout(Some(std::time::Duration::from_millis(200)))
        .unwrap();
    let deadline = std::time::Instant::now() + limit;
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while std::time::Instant::now() < deadline && !String::from_utf8_lossy(&seen).contains(needle) {
        match client.stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
            Err(_) => {}
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}
