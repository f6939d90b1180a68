//! What the kernel tells of a connection's TCP: the options its handshake
//! negotiated, the segment sizes and windows, the round-trip time, and on
//! Linux the client's SYN itself. The capture and the inspector draw the
//! handshake from these facts rather than make them up.
//!
//! | system | what is read | how |
//! |---|---|---|
//! | Linux | SACK, timestamps, window scale (both shifts), our MSS, the send MSS, both windows, the RTT | `getsockopt(TCP_INFO)` |
//! | Linux | the client's SYN, IP and TCP headers as they arrived | `TCP_SAVE_SYN` on the listener, `TCP_SAVED_SYN` once per connection |
//! | Windows | (not read) `SIO_TCP_INFO` gives the MSS, timestamps on or off, the RTT and both windows, but neither SACK nor window scale | — |
//! | macOS | (not read) `TCP_CONNECTION_INFO` gives the options, both shifts, the MSS and the smoothed RTT | — |
//!
//! Elsewhere [`facts`] returns `None`, and the capture leaves the options out
//! and says so in its comment.
//!
//! One option is set here rather than read: `--defer-accept` asks Linux to
//! hand a connection over only once its first bytes arrive
//! (`TCP_DEFER_ACCEPT`, [`defer_accept`]); no other system has it.

use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// The TCP facts of one accepted connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TcpFacts {
    /// Selective acknowledgements permitted by both sides (RFC 2018).
    pub sack: bool,
    /// Timestamps in use (RFC 7323).
    pub timestamps: bool,
    /// The window scale shifts, when both sides sent the option (RFC 7323):
    /// the client's (applied to the windows it sends) and the server's.
    pub window_scale: Option<WindowScale>,
    /// The MSS the server advertised in its SYN-ACK.
    pub server_mss: u16,
    /// The largest segment the server sends on this connection.
    pub send_mss: u32,
    /// The windows each side advertises, in bytes, unscaled, at accept.
    pub client_window: u32,
    pub server_window: u32,
    /// The round-trip time the kernel measured during the handshake.
    pub rtt: Duration,
    /// The client's SYN as it arrived, from its IP header on, when the
    /// system keeps it (Linux with [`keep_syns`]).
    pub syn: Option<Vec<u8>>,
}

/// The two window scale shifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowScale {
    pub client: u8,
    pub server: u8,
}

pub use imp::{defer_accept, facts, keep_syns};

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use std::mem::{offset_of, size_of};
    use std::os::fd::{AsRawFd, RawFd};

    /// Asks the kernel to keep each connection's SYN until it is read, so
    /// that [`facts`] can hand it on. Off is the default; a failure (an old
    /// kernel) only means no SYN later.
    pub fn keep_syns(listener: &TcpListener) {
        let on: libc::c_int = 1;
        let _ = set_option(listener.as_raw_fd(), libc::TCP_SAVE_SYN, &on);
    }

    /// The facts of `stream`, just accepted; `None` when the kernel says
    /// nothing.
    pub fn facts(stream: &TcpStream) -> Option<TcpFacts> {
        let fd = stream.as_raw_fd();
        // Room for the kernel's whole struct (248 bytes in Linux 6), which
        // may be longer than the C library's declaration of it.
        let mut info = [0u8; TCP_INFO_BYTES];
        let len = get_option(fd, libc::TCP_INFO, &mut info).ok()?;
        let info = &info[..len];
        let byte = |offset: usize| info.get(offset).copied();
        let word = |offset: usize| {
            let bytes = info.get(offset..offset + 4)?;
            Some(u32::from_ne_bytes(bytes.try_into().ok()?))
        };
        let options = byte(offset_of!(libc::tcp_info, tcpi_options))?;
        // Two 4-bit fields: the send shift in the low half (the first
        // declared, on the little-endian systems Linux runs TCP_INFO on).
        let shifts = byte(offset_of!(libc::tcp_info, tcpi_snd_rcv_wscale))?;
        let window_scale = (options & TCPI_OPT_WSCALE != 0).then_some(WindowScale {
            client: shifts & 0x0f,
            server: shifts >> 4,
        });
        let timestamps = options & TCPI_OPT_TIMESTAMPS != 0;
        let advertised = word(offset_of!(libc::tcp_info, tcpi_advmss))?;
        // advmss leaves room for the timestamp option; the SYN-ACK's MSS
        // option does not (RFC 7323 §3.2, and what a capture shows).
        let server_mss = advertised + if timestamps { 12 } else { 0 };
        let client_window = word(offset_of!(libc::tcp_info, tcpi_snd_wnd)).unwrap_or(0);
        // tcpi_rcv_wnd (Linux 5.4) follows tcpi_snd_wnd in the kernel's
        // struct; musl's libc declares the struct without it, so its offset
        // is taken from the kernel's layout, and an older kernel, which
        // writes fewer bytes, leaves it out.
        let receive_window = offset_of!(libc::tcp_info, tcpi_snd_wnd) + 4;
        let server_window = word(receive_window)
            .filter(|&window| window > 0)
            .or_else(|| word(offset_of!(libc::tcp_info, tcpi_rcv_space)))?;
        Some(TcpFacts {
            sack: options & TCPI_OPT_SACK != 0,
            timestamps,
            window_scale,
            server_mss: u16::try_from(server_mss).unwrap_or(u16::MAX),
            send_mss: word(offset_of!(libc::tcp_info, tcpi_snd_mss))?,
            client_window,
            server_window,
            rtt: Duration::from_micros(word(offset_of!(libc::tcp_info, tcpi_rtt))?.into()),
            syn: saved_syn(fd),
        })
    }

    /// Bytes asked for with TCP_INFO: the kernel writes what it has, at
    /// most this.
    const TCP_INFO_BYTES: usize = 256;
    const TCPI_OPT_TIMESTAMPS: u8 = 1;
    const TCPI_OPT_SACK: u8 = 2;
    const TCPI_OPT_WSCALE: u8 = 4;

    /// The SYN kept by [`keep_syns`]: IP header, TCP header, options. The
    /// kernel hands it over once.
    fn saved_syn(fd: RawFd) -> Option<Vec<u8>> {
        // 60 bytes of IPv6 header with room for extensions, 60 of TCP.
        let mut syn = vec![0u8; 192];
        let len = get_option(fd, libc::TCP_SAVED_SYN, &mut syn).ok()?;
        syn.truncate(len);
        (len > 0).then_some(syn)
    }

    /// Makes `listener` hand a connection over only once its first bytes
    /// arrive, or once `wait` has passed (rounded up to whole seconds):
    /// the thread waiting in accept() is woken once, with the request
    /// there to read, not twice.
    pub fn defer_accept(listener: &TcpListener, wait: Duration) -> std::io::Result<()> {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let seconds = libc::c_int::try_from(seconds.max(1)).unwrap_or(libc::c_int::MAX);
        set_option(listener.as_raw_fd(), libc::TCP_DEFER_ACCEPT, &seconds)
    }

    /// `getsockopt(IPPROTO_TCP, name)` into `buffer`; how many bytes the
    /// kernel wrote.
    #[allow(unsafe_code)]
    pub(super) fn get_option(
        fd: RawFd,
        name: libc::c_int,
        buffer: &mut [u8],
    ) -> std::io::Result<usize> {
        let mut len = libc::socklen_t::try_from(buffer.len()).unwrap_or(libc::socklen_t::MAX);
        // SAFETY: neither std, rustix nor socket2 reads TCP_INFO or
        // TCP_SAVED_SYN. The kernel writes at most `len` bytes at the
        // pointer, which is valid and writable for `buffer.len()` bytes for
        // the whole call (any bytes are a valid `[u8]`), writes back in
        // `len` how many it wrote, and keeps neither pointer. A bad `fd`
        // is an error return, not undefined behaviour.
        let result = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                name,
                buffer.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if result != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((len as usize).min(buffer.len()))
    }

    /// `setsockopt(IPPROTO_TCP, name)` to an int.
    #[allow(unsafe_code)]
    fn set_option(fd: RawFd, name: libc::c_int, value: &libc::c_int) -> std::io::Result<()> {
        // SAFETY: no safe wrapper sets TCP_SAVE_SYN or TCP_DEFER_ACCEPT.
        // The kernel reads
        // `size_of::<c_int>()` bytes from a pointer to a live `c_int` and
        // keeps no pointer to it.
        let result = unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                name,
                (value as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if result != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    /// Nothing to ask: this system keeps no SYN.
    pub fn keep_syns(_listener: &TcpListener) {}

    /// No system but Linux defers an accept until data arrives.
    pub fn defer_accept(_listener: &TcpListener, _wait: Duration) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "--defer-accept is Linux's TCP_DEFER_ACCEPT, which this system lacks",
        ))
    }

    /// This build reads no TCP facts on this system (see the table above).
    pub fn facts(_stream: &TcpStream) -> Option<TcpFacts> {
        None
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_loopback_connection_tells_its_options_and_its_syn() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        keep_syns(&listener);
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let facts = facts(&server).expect("Linux tells TCP_INFO");
        // Linux's own client asks for all three on loopback.
        assert!(facts.sack && facts.timestamps, "{facts:?}");
        assert!(facts.window_scale.is_some(), "{facts:?}");
        assert!(facts.server_mss > 1000 && facts.send_mss > 500, "{facts:?}");
        assert!(
            facts.server_window > 0 && facts.client_window > 0,
            "{facts:?}"
        );
        let syn = facts.syn.expect("the SYN was kept");
        // An IPv4 header, then TCP with the SYN flag and the client's port.
        assert_eq!(syn[0] >> 4, 4);
        let tcp = &syn[usize::from(syn[0] & 0x0f) * 4..];
        let client_port = client.local_addr().unwrap().port();
        assert_eq!(u16::from_be_bytes([tcp[0], tcp[1]]), client_port);
        assert_eq!(tcp[13] & 0x02, 0x02, "SYN flag");
        // Handed over once.
        assert_eq!(super::imp::facts(&server).unwrap().syn, None);
    }

    #[test]
    fn a_deferring_listener_keeps_its_wait_in_whole_seconds() {
        use std::os::fd::AsRawFd;
        // (asked, what the kernel reports back: whole seconds, at least 1;
        // it rounds up to its SYN-ACK retransmission schedule)
        for (asked, at_least) in [
            (Duration::from_millis(1), 1),
            (Duration::from_secs(5), 5),
            (Duration::from_millis(5_500), 6),
        ] {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let mut value = [0u8; 4];
            super::imp::get_option(listener.as_raw_fd(), libc::TCP_DEFER_ACCEPT, &mut value)
                .unwrap();
            assert_eq!(i32::from_ne_bytes(value), 0, "off by default");
            defer_accept(&listener, asked).unwrap();
            super::imp::get_option(listener.as_raw_fd(), libc::TCP_DEFER_ACCEPT, &mut value)
                .unwrap();
            assert!(
                i32::from_ne_bytes(value) >= at_least,
                "{asked:?}: {value:?}"
            );
        }
    }
}
