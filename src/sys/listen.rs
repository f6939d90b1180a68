//! Listening sockets, made with `socket2` because std binds before any
//! option can be set: `::` must listen on IPv4 too (IPV6_V6ONLY off), which
//! Windows refuses by default and Linux leaves to a sysctl. Every option
//! a listener carries is set before it listens, so the first client that
//! connects finds it as every later one does (its SYN kept, its timeouts
//! inherited).

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, Type};

/// What a listener is set up with before it listens.
#[derive(Debug, Clone, Copy)]
pub struct ListenOptions {
    /// The read timeout its connections start with (the idle timeout).
    pub read: Duration,
    /// The write timeout its connections start with.
    pub write: Duration,
    /// Whether the kernel keeps each connection's SYN for the observers
    /// ([`super::keep_syns`]).
    pub keep_syns: bool,
    /// Linux: hand over a connection only once its first bytes arrive, or
    /// after this long ([`super::defer_accept`]).
    pub defer_accept: Option<Duration>,
}

/// Connections waiting to be accepted, at most; the kernel may cap it
/// lower (`net.core.somaxconn`).
const BACKLOG: i32 = 1024;

/// A socket listening at `addr`, set up with `options`. An unspecified IPv6 address (`::`)
/// accepts IPv4 as well on every system; any other address is its one
/// family only.
pub fn listen(addr: SocketAddr, options: &ListenOptions) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(!addr.ip().is_unspecified())?;
    }
    // As std does on Unix: a restarted server binds its port again while
    // the last run's connections sit in TIME_WAIT. (On Windows the option
    // would let another process take the port, so it is left off.)
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    let listener = TcpListener::from(socket);
    super::prepare_listener(&listener, options.read, options.write)?;
    if options.keep_syns {
        super::keep_syns(&listener);
    }
    if let Some(wait) = options.defer_accept {
        super::defer_accept(&listener, wait)?;
    }
    SockRef::from(&listener).listen(BACKLOG)?;
    Ok(listener)
}
