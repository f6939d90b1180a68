//! Listening sockets, made with `socket2` because std binds before any
//! option can be set: `::` must listen on IPv4 too (IPV6_V6ONLY off), which
//! Windows refuses by default and Linux leaves to a sysctl.

use std::io;
use std::net::{SocketAddr, TcpListener};

use socket2::{Domain, Protocol, Socket, Type};

/// Connections waiting to be accepted, at most; the kernel may cap it
/// lower (`net.core.somaxconn`).
const BACKLOG: i32 = 1024;

/// A socket listening at `addr`. An unspecified IPv6 address (`::`)
/// accepts IPv4 as well on every system; any other address is its one
/// family only.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
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
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}
