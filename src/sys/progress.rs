//! The write timeout as a deadline on progress: a response's writes may go
//! on as long as the socket keeps accepting bytes, and are given up once it
//! has accepted none for the whole timeout.
//!
//! A blocking send with a send timeout waits at most that long per call,
//! and a call that moved a few bytes before it had to wait counts as
//! progress; so a timeout equal to the write timeout let a client that
//! stopped reading hold on for about three of them. Instead each send waits
//! only a short slice ([`send_wait`]), and [`WriteProgress`] says, after
//! each call, whether bytes moved or how long nothing has.

use std::io;
use std::time::{Duration, Instant};

/// How long one blocking send waits before it returns to be judged, on
/// Unix. Short, so that "nothing for the whole timeout" is measured to
/// within it.
#[cfg(unix)]
const SEND_SLICE: Duration = Duration::from_millis(250);

/// The send timeout to set on a socket, for a write timeout of `timeout`.
/// On Windows a send that times out leaves the socket in an undefined state
/// (Winsock's documentation), so there one wait is the whole timeout and the
/// first that expires ends the connection.
pub fn send_wait(timeout: Duration) -> Duration {
    #[cfg(unix)]
    return timeout.min(SEND_SLICE);
    #[cfg(windows)]
    return timeout;
}

/// How one response's writes are progressing.
#[derive(Debug, Clone, Copy)]
pub struct WriteProgress {
    timeout: Duration,
    last_progress: Instant,
}

impl WriteProgress {
    /// A response starting now, allowed `timeout` without progress.
    pub fn new(timeout: Duration) -> WriteProgress {
        WriteProgress {
            timeout,
            last_progress: Instant::now(),
        }
    }

    /// What one send's `result` means: `Some(n)` bytes were accepted (the
    /// clock starts again); `None` try again (a wait ended, or a signal came,
    /// before the timeout passed without progress); an error: give up, with
    /// `TimedOut` once nothing moved for the whole timeout.
    pub fn judge(&mut self, result: io::Result<usize>) -> io::Result<Option<usize>> {
        match result {
            Ok(0) => Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                self.last_progress = Instant::now();
                Ok(Some(n))
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Ok(None),
            Err(error) if is_timeout(&error) => {
                if self.last_progress.elapsed() >= self.timeout {
                    Err(io::ErrorKind::TimedOut.into())
                } else {
                    Ok(None)
                }
            }
            Err(error) => Err(error),
        }
    }
}

/// Whether a socket error is a read's or a send's wait running out:
/// `WouldBlock` on Unix, `TimedOut` on Windows.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A read of `stream` that retries when a signal interrupts it; what it
/// waits for (a timeout) is the socket's.
pub fn read_retrying(stream: &std::net::TcpStream, buffer: &mut [u8]) -> io::Result<usize> {
    use std::io::Read;
    loop {
        match (&mut &*stream).read(buffer) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_restarts_the_clock_and_only_a_whole_timeout_without_it_ends() {
        let wait_over = || Err(io::Error::from(io::ErrorKind::WouldBlock));
        let mut patient = WriteProgress::new(Duration::from_secs(3600));
        assert_eq!(patient.judge(Ok(10)).unwrap(), Some(10));
        assert_eq!(patient.judge(wait_over()).unwrap(), None);
        let interrupted = Err(io::Error::from(io::ErrorKind::Interrupted));
        assert_eq!(patient.judge(interrupted).unwrap(), None);
        let reset = Err(io::Error::from(io::ErrorKind::ConnectionReset));
        assert_eq!(
            patient.judge(reset).unwrap_err().kind(),
            io::ErrorKind::ConnectionReset
        );
        assert_eq!(
            patient.judge(Ok(0)).unwrap_err().kind(),
            io::ErrorKind::WriteZero
        );

        let mut spent = WriteProgress::new(Duration::ZERO);
        assert_eq!(
            spent.judge(wait_over()).unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );
        // Bytes that moved count, whatever the clock says.
        assert_eq!(spent.judge(Ok(1)).unwrap(), Some(1));
    }

    #[test]
    fn timeouts_are_told_apart_from_other_errors() {
        let cases = [
            (io::ErrorKind::WouldBlock, true),
            (io::ErrorKind::TimedOut, true),
            (io::ErrorKind::ConnectionReset, false),
            (io::ErrorKind::BrokenPipe, false),
        ];
        for (kind, expected) in cases {
            assert_eq!(is_timeout(&io::Error::from(kind)), expected, "{kind:?}");
        }
    }

    #[test]
    fn a_send_waits_a_slice_of_the_timeout_on_unix() {
        let long = Duration::from_secs(30);
        #[cfg(unix)]
        assert_eq!(send_wait(long), SEND_SLICE);
        #[cfg(windows)]
        assert_eq!(send_wait(long), long);
        let short = Duration::from_millis(100);
        assert_eq!(send_wait(short), short);
    }
}
