//! `--capture FILE.pcap`: the server's own conversations as a pcap file that
//! Wireshark and tshark dissect as HTTP, with no capture driver and no
//! traffic from other programs.
//!
//! The server sees socket events, not packets: a connection accepted, bytes
//! read, bytes written, an end of stream, a close. Each becomes TCP segments
//! between the real addresses and ports, at the time it happened, with
//! consistent sequence and acknowledgement numbers: the handshake when the
//! connection is accepted, data in segments of at most [`SEGMENT_BYTES`]
//! each acknowledged by the other side, and a FIN for each side's close. The
//! TCP and IP headers are made up from those events — segment sizes, window
//! values and the timing of acknowledgements are not the kernel's.
//!
//! Recording never holds up serving. Connections hand each event's packets
//! to a bounded queue ([`QUEUE_BATCHES`]) and go on; one writer thread
//! writes them. When the writer falls behind (a slow disk, a paused
//! Wireshark reading a FIFO) and the queue is full, packets are dropped and
//! counted: one warning, the trace and the shutdown summary say how many.
//! The file is bounded too (`--capture-limit`): at the limit, one warning,
//! and recording stops. So does it at the first write error, with one
//! warning.

use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;

use crate::observe::seam::Observer;

/// Payload bytes per reconstructed segment: an Ethernet MSS, so the capture
/// looks like traffic on a real network link.
pub const SEGMENT_BYTES: usize = 1460;
/// The receive window every reconstructed segment advertises.
const WINDOW: u16 = 65535;
const TTL: u8 = 64;

/// Events' packets waiting for the writer, at most; past it they are dropped.
pub const QUEUE_BATCHES: usize = 1024;
/// The largest capture file by default (`--capture-limit`).
pub const DEFAULT_LIMIT_BYTES: u64 = 256 << 20;
/// How long a shutdown waits for the writer to write what is queued.
pub const FINISH_WAIT: Duration = Duration::from_secs(2);
/// A pcap record's header, before each packet's bytes.
const RECORD_HEADER_BYTES: u64 = 16;

/// One event's packets, written together so that another connection's never
/// fall between them.
type Batch = Vec<(Duration, Vec<u8>)>;

/// The pcap file, shared by every connection: the queue to its writer.
pub struct Capture {
    queue: SyncSender<Batch>,
    counts: Arc<Counts>,
}

/// What happened to the packets, read by the trace and the summary.
#[derive(Debug, Default)]
struct Counts {
    /// Batches handed to the queue, and written (or given up) by the writer.
    queued: AtomicU64,
    done: AtomicU64,
    /// Packets dropped because the queue was full.
    dropped: AtomicU64,
    /// The first drop has been warned about.
    warned: AtomicBool,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Capture")
    }
}

impl Capture {
    /// Creates (or truncates) `path` and writes the pcap header: raw IP
    /// packets, microsecond timestamps.
    /// At most `limit_bytes` are written, the header included.
    pub fn create(path: &Path, limit_bytes: u64) -> io::Result<Capture> {
        let file = File::create(path)?;
        let header = PcapHeader {
            datalink: DataLink::RAW,
            ..PcapHeader::default()
        };
        let writer = PcapWriter::with_header(file, header).map_err(write_error)?;
        let (queue, batches) = mpsc::sync_channel(QUEUE_BATCHES);
        let counts = Arc::new(Counts::default());
        let sink = Sink {
            writer,
            name: path.display().to_string(),
            written_bytes: 24,
            limit_bytes,
            counts: Arc::clone(&counts),
        };
        thread::Builder::new()
            .name("capture".into())
            .spawn(move || sink.run(batches))?;
        Ok(Capture { queue, counts })
    }

    /// Packets dropped so far because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.counts.dropped.load(Ordering::Relaxed)
    }

    /// Waits, at most [`FINISH_WAIT`], for the writer to write what is
    /// queued; then says how many packets were dropped in all.
    pub fn finish(&self) -> u64 {
        let deadline = Instant::now() + FINISH_WAIT;
        while self.counts.done.load(Ordering::SeqCst) < self.counts.queued.load(Ordering::SeqCst)
            && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(10));
        }
        self.dropped()
    }

    /// The record of one connection; it starts, with its three-way
    /// handshake, when the connection is [`Observer::opened`].
    pub fn conversation(&self) -> Conversation<'_> {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(timestamp().as_nanos() as u64);
        let isn = hasher.finish();
        let unknown = SocketAddr::from(([0, 0, 0, 0], 0));
        Conversation {
            capture: self,
            client: unknown,
            server: unknown,
            client_next: isn as u32,
            server_next: (isn >> 32) as u32,
            client_closed: false,
            server_closed: false,
        }
    }

    /// Queues one event's packets without waiting: dropped, and counted,
    /// when the queue is full; ignored once the writer has stopped.
    fn write(&self, batch: Batch) {
        let packets = batch.len() as u64;
        self.counts.queued.fetch_add(1, Ordering::SeqCst);
        match self.queue.try_send(batch) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.counts.queued.fetch_sub(1, Ordering::SeqCst);
                self.counts.dropped.fetch_add(packets, Ordering::Relaxed);
                if !self.counts.warned.swap(true, Ordering::Relaxed) {
                    log::warn!(
                        "capture: the writer cannot keep up; dropping packets (the count is in the trace and the summary)"
                    );
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                self.counts.queued.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

/// The writer thread's end: the file, and how much of it is used.
struct Sink {
    writer: PcapWriter<File>,
    name: String,
    written_bytes: u64,
    limit_bytes: u64,
    counts: Arc<Counts>,
}

impl Sink {
    /// Writes batches as they come, until the server is gone, the file is
    /// full, or a write fails.
    fn run(mut self, batches: Receiver<Batch>) {
        while let Ok(batch) = batches.recv() {
            let going_on = self.write(&batch);
            self.counts.done.fetch_add(1, Ordering::SeqCst);
            if !going_on {
                // Dropping the receiver tells the connections to stop queueing.
                return;
            }
        }
    }

    /// False once recording has stopped.
    fn write(&mut self, batch: &Batch) -> bool {
        for (timestamp, packet) in batch {
            let size = RECORD_HEADER_BYTES + packet.len() as u64;
            if self.written_bytes + size > self.limit_bytes {
                log::warn!(
                    "capture: {} reached its limit of {} bytes (--capture-limit); recording stops",
                    self.name,
                    self.limit_bytes
                );
                return false;
            }
            let record = PcapPacket::new(*timestamp, packet.len() as u32, packet);
            if let Err(error) = self.writer.write_packet(&record) {
                log::warn!(
                    "capture: cannot write {}: {}; recording stops",
                    self.name,
                    write_error(error)
                );
                return false;
            }
            self.written_bytes += size;
        }
        true
    }
}

/// The I/O error inside the pcap crate's, whose own text ("Error reading
/// bytes") says nothing of a write.
fn write_error(error: pcap_file::PcapError) -> io::Error {
    match error {
        pcap_file::PcapError::IoError(error) => error,
        other => io::Error::other(other),
    }
}

/// An IPv4 address reached through an IPv6 socket (`::ffff:a.b.c.d`) is
/// recorded as IPv4, as it travelled.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// Which side sends a segment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// One connection's TCP stream, as it is reconstructed.
pub struct Conversation<'a> {
    capture: &'a Capture,
    client: SocketAddr,
    server: SocketAddr,
    /// The sequence number of each side's next byte.
    client_next: u32,
    server_next: u32,
    client_closed: bool,
    server_closed: bool,
}

/// TCP flags of a reconstructed segment.
#[derive(Clone, Copy, Default)]
struct Flags {
    syn: bool,
    ack: bool,
    fin: bool,
    psh: bool,
}

impl Conversation<'_> {
    /// SYN, SYN-ACK, ACK: the kernel completed them before accept()
    /// returned, so they carry the time of the accept.
    fn handshake(&mut self) {
        let now = timestamp();
        let mut batch = Vec::with_capacity(3);
        let syn = Flags {
            syn: true,
            ..Flags::default()
        };
        self.segment(&mut batch, now, Side::Client, syn, &[]);
        self.client_next = self.client_next.wrapping_add(1);
        let syn_ack = Flags {
            syn: true,
            ack: true,
            ..Flags::default()
        };
        self.segment(&mut batch, now, Side::Server, syn_ack, &[]);
        self.server_next = self.server_next.wrapping_add(1);
        self.segment(&mut batch, now, Side::Client, ack(), &[]);
        self.capture.write(batch);
    }

    fn data(&mut self, from: Side, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let now = timestamp();
        let chunks = bytes.chunks(SEGMENT_BYTES);
        let last = chunks.len() - 1;
        let mut batch = Vec::with_capacity(chunks.len() + 1);
        for (index, chunk) in chunks.enumerate() {
            let flags = Flags {
                ack: true,
                psh: index == last,
                ..Flags::default()
            };
            self.segment(&mut batch, now, from, flags, chunk);
            let next = self.next_mut(from);
            *next = next.wrapping_add(chunk.len() as u32);
        }
        self.segment(&mut batch, now, from.other(), ack(), &[]);
        self.capture.write(batch);
    }

    fn fin(&mut self, from: Side) {
        let now = timestamp();
        let flags = Flags {
            fin: true,
            ack: true,
            ..Flags::default()
        };
        let mut batch = Vec::with_capacity(2);
        self.segment(&mut batch, now, from, flags, &[]);
        let next = self.next_mut(from);
        *next = next.wrapping_add(1);
        self.segment(&mut batch, now, from.other(), ack(), &[]);
        self.capture.write(batch);
    }

    fn next_mut(&mut self, side: Side) -> &mut u32 {
        match side {
            Side::Client => &mut self.client_next,
            Side::Server => &mut self.server_next,
        }
    }

    /// Adds one segment from `from` to `batch`, acknowledging all the other
    /// side sent.
    fn segment(
        &self,
        batch: &mut Vec<(Duration, Vec<u8>)>,
        time: Duration,
        from: Side,
        flags: Flags,
        payload: &[u8],
    ) {
        let (source, destination, seq, acknowledged) = match from {
            Side::Client => (self.client, self.server, self.client_next, self.server_next),
            Side::Server => (self.server, self.client, self.server_next, self.client_next),
        };
        let ip = match (source.ip(), destination.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), TTL),
            (s, d) => PacketBuilder::ipv6(to_v6(s), to_v6(d), TTL),
        };
        let mut tcp = ip.tcp(source.port(), destination.port(), seq, WINDOW);
        if flags.syn {
            tcp = tcp.syn();
        }
        if flags.ack {
            tcp = tcp.ack(acknowledged);
        }
        if flags.fin {
            tcp = tcp.fin();
        }
        if flags.psh {
            tcp = tcp.psh();
        }
        let mut packet = Vec::with_capacity(tcp.size(payload.len()));
        if tcp.write(&mut packet, payload).is_ok() {
            batch.push((time, packet));
        }
    }
}

impl Observer for Conversation<'_> {
    fn opened(&mut self, client: SocketAddr, server: SocketAddr) {
        self.client = canonical(client);
        self.server = canonical(server);
        self.handshake();
    }

    fn wants_bytes(&self) -> bool {
        true
    }

    fn received(&mut self, bytes: &[u8]) {
        self.data(Side::Client, bytes);
    }

    fn sent(&mut self, bytes: &[u8]) {
        self.data(Side::Server, bytes);
    }

    /// The client's end of stream (a read returned 0): its FIN.
    fn client_closed(&mut self) {
        if !self.client_closed {
            self.client_closed = true;
            self.fin(Side::Client);
        }
    }

    /// The server shut down its sending side or closed: its FIN.
    fn server_closed(&mut self) {
        if !self.server_closed {
            self.server_closed = true;
            self.fin(Side::Server);
        }
    }

    /// A close the server saw as its own end: its FIN, if not yet sent.
    fn closed(&mut self, _reason: crate::protocol::CloseReason, _requests: u64) {
        self.server_closed();
    }
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

fn ack() -> Flags {
    Flags {
        ack: true,
        ..Flags::default()
    }
}

fn to_v6(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

fn timestamp() -> Duration {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}
