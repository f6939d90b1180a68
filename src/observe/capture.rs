//! `--capture FILE.pcapng`: the server's own conversations as a pcapng file
//! that Wireshark and tshark dissect as HTTP, with no capture driver and no
//! traffic from other programs.
//!
//! The server sees socket events, not packets: a connection accepted, bytes
//! read, bytes written, an end of stream, a close. Each becomes TCP segments
//! between the real addresses and ports, at the time it happened, with
//! consistent sequence and acknowledgement numbers: the handshake when the
//! connection is accepted, data in segments of the connection's MSS each
//! acknowledged by the other side, and a FIN for each side's close.
//!
//! What the kernel tells of the connection ([`TcpFacts`]) is used as it is:
//! the client's SYN as it arrived, the options the handshake negotiated, the
//! MSS, the windows at accept, and the round-trip time that spaces the
//! handshake. The rest of the TCP and IP headers is made up, and the file
//! says which is which: [`section_comment`] heads it, and each handshake
//! packet carries a comment of its own.
//!
//! Recording never holds up serving. Connections hand each event's packets
//! to a bounded queue ([`QUEUE_BATCHES`]) and go on; one writer thread
//! writes them. When the writer falls behind (a slow disk, a paused
//! Wireshark reading a FIFO) and the queue is full, packets are dropped and
//! counted: one warning, the trace and the shutdown summary say how many.
//! The file is bounded too (`--capture-limit`): at the limit, one warning,
//! and recording stops. So does it at the first write error, with one
//! warning.

use std::borrow::Cow;
use std::fs::File;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use etherparse::{PacketBuilder, TcpOptionElement};
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::blocks::RawBlock;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;

use crate::observe::explain;
use crate::observe::seam::{ExchangeRecord, Observer, Opening};
use crate::protocol::words::Lang;
use crate::sys::TcpFacts;

/// Payload bytes per segment when the system tells no MSS: an Ethernet
/// MSS, so the capture looks like traffic on a real network link.
pub const FALLBACK_SEGMENT_BYTES: usize = 1460;
/// The window advertised when the system tells none.
const FALLBACK_WINDOW: u32 = 65535;
const TTL: u8 = 64;

/// Events' packets waiting for the writer, at most; past it they are dropped.
pub const QUEUE_BATCHES: usize = 1024;
/// The largest capture file by default (`--capture-limit`).
pub const DEFAULT_LIMIT_BYTES: u64 = 256 << 20;
/// How long a shutdown waits for the writer to write what is queued.
pub const FINISH_WAIT: Duration = Duration::from_secs(2);

/// What the file's section comment says: that the headers are
/// reconstructed, and on this system which fields come from the kernel.
pub fn section_comment(tls: bool) -> String {
    let common = "TCP/IP headers reconstructed by glasshttp from its socket events: this is \
        not a packet capture. Real: the HTTP bytes and their order, the addresses and ports, \
        and the times of accepts, reads, writes and closes.";
    let kernel = if cfg!(target_os = "linux") {
        " From the kernel (Linux TCP_SAVED_SYN and TCP_INFO): each client SYN as it arrived \
         (sequence number, window, options, TTL); the SYN-ACK's MSS, SACK permitted, \
         timestamps and window scale, as negotiated; each side's window at accept; data \
         segments of the connection's MSS; the handshake spaced by the measured round-trip \
         time. Made up: the server's initial sequence number, timestamp values after the SYN, \
         when acknowledgements went, IP identification, and windows after accept."
    } else {
        " This system tells glasshttp nothing of the handshake (Windows' SIO_TCP_INFO and \
         macOS's TCP_CONNECTION_INFO are not read): the SYN and SYN-ACK carry no options, \
         data segments are 1460 bytes, every window is 65535 and the handshake has one \
         time. All of these are made up."
    };
    let secrets = if tls {
        " HTTPS: the TCP payloads are the TLS records as they went on the wire, and before \
         each session's first encrypted record a Decryption Secrets Block holds its TLS secrets \
         (the NSS key log lines), so Wireshark and tshark show the decrypted HTTP with no \
         setting. Whoever has this file can read those sessions: hand it in knowing that, or \
         remove the secrets first (editcap --discard-all-secrets)."
    } else {
        ""
    };
    format!(
        "{common}{kernel}{secrets} Retransmissions, window updates and resets do not appear: \
         for those, capture the real traffic (Npcap, tcpdump)."
    )
}

/// One event's packets, written together so that another connection's never
/// fall between them.
type Batch = Vec<Packet>;

/// One packet: when, its bytes from the IP header on, and what it says of
/// itself in the file.
struct Packet {
    time: Duration,
    bytes: Vec<u8>,
    comment: Option<Cow<'static, str>>,
    /// The bytes are TLS key log lines, for a Decryption Secrets Block,
    /// not a packet.
    secrets: bool,
}

/// A Decryption Secrets Block (pcapng, block type 0x0000000A).
const SECRETS_BLOCK: u32 = 0x0000_000A;
/// Its secrets type: a TLS key log ("TLSK").
const TLS_KEY_LOG: u32 = 0x544c_534b;

/// The pcapng file, shared by every connection: the queue to its writer.
pub struct Capture {
    queue: SyncSender<Batch>,
    /// The language of the comments on each request and answer.
    lang: Lang,
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
    /// Creates (or truncates) `path` and writes the section, with its
    /// comment, and the one interface: raw IP packets, nanosecond times.
    /// At most `limit_bytes` are written, the header included.
    pub fn create(path: &Path, limit_bytes: u64, tls: bool, lang: Lang) -> io::Result<Capture> {
        let file = File::create(path)?;
        let section = SectionHeaderBlock {
            options: vec![
                SectionHeaderOption::Comment(section_comment(tls).into()),
                SectionHeaderOption::UserApplication(
                    concat!("glasshttp ", env!("CARGO_PKG_VERSION")).into(),
                ),
            ],
            ..SectionHeaderBlock::default()
        };
        let mut writer = PcapNgWriter::with_section_header(file, section).map_err(write_error)?;
        let interface = InterfaceDescriptionBlock {
            linktype: DataLink::RAW,
            snaplen: 0,
            options: vec![
                InterfaceDescriptionOption::IfName("glasshttp".into()),
                // The crate writes packet times in nanoseconds.
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        };
        writer.write_pcapng_block(interface).map_err(write_error)?;
        let written_bytes = writer.get_ref().metadata().map_or(0, |m| m.len());
        let (queue, batches) = mpsc::sync_channel(QUEUE_BATCHES);
        let counts = Arc::new(Counts::default());
        let sink = Sink {
            writer,
            name: path.display().to_string(),
            written_bytes,
            limit_bytes,
            counts: Arc::clone(&counts),
        };
        thread::Builder::new()
            .name("capture".into())
            .spawn(move || sink.run(batches))?;
        Ok(Capture {
            queue,
            lang,
            counts,
        })
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
    /// The conversation of connection `id`.
    pub fn conversation(&self, id: u64) -> Conversation<'_> {
        let unknown = SocketAddr::from(([0, 0, 0, 0], 0));
        Conversation {
            capture: self,
            id,
            lang: self.lang,
            client_comment: None,
            server_comment: None,
            exchanges: 0,
            client: unknown,
            server: unknown,
            client_next: 0,
            server_next: 0,
            client_closed: false,
            server_closed: false,
            shape: Shape::default(),
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
    writer: PcapNgWriter<File>,
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
            let going_on = self.write(batch);
            self.counts.done.fetch_add(1, Ordering::SeqCst);
            if !going_on {
                // Dropping the receiver tells the connections to stop queueing.
                return;
            }
        }
    }

    /// False once recording has stopped.
    fn write(&mut self, batch: Batch) -> bool {
        for packet in batch {
            let size = block_bytes(&packet);
            if self.written_bytes + size > self.limit_bytes {
                log::warn!(
                    "capture: {} reached its limit of {} bytes (--capture-limit); recording stops",
                    self.name,
                    self.limit_bytes
                );
                return false;
            }
            if packet.secrets {
                let block = secrets_block(&packet.bytes);
                if let Err(error) = self.writer.write_raw_block(&block) {
                    let why = write_error(error);
                    log::warn!(
                        "capture: cannot write {}: {why}; recording stops",
                        self.name
                    );
                    return false;
                }
                self.written_bytes += size;
                continue;
            }
            let block = EnhancedPacketBlock {
                interface_id: 0,
                timestamp: packet.time,
                original_len: packet.bytes.len() as u32,
                data: Cow::Owned(packet.bytes),
                options: packet
                    .comment
                    .map(EnhancedPacketOption::Comment)
                    .into_iter()
                    .collect(),
            };
            if let Err(error) = self.writer.write_pcapng_block(block) {
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

/// A Decryption Secrets Block holding `lines` (pcapng §4.7), in the
/// section's byte order (big-endian, the crate's default): the secrets'
/// type and length, then the lines, padded to 4 bytes.
fn secrets_block(lines: &[u8]) -> RawBlock<'static> {
    let mut body = Vec::with_capacity(8 + lines.len() + 3);
    body.extend_from_slice(&TLS_KEY_LOG.to_be_bytes());
    body.extend_from_slice(&(lines.len() as u32).to_be_bytes());
    body.extend_from_slice(lines);
    body.resize(body.len().div_ceil(4) * 4, 0);
    let len = 12 + body.len() as u32;
    RawBlock {
        type_: SECRETS_BLOCK,
        initial_len: len,
        body: Cow::Owned(body),
        trailer_len: len,
    }
}

/// The bytes an enhanced packet block takes: 28 of header, the data and
/// each option padded to 4, the end of options, 4 of trailer (a secrets
/// block: 12 of frame, 8 of header, the lines padded to 4).
fn block_bytes(packet: &Packet) -> u64 {
    let padded = |len: usize| len.div_ceil(4) as u64 * 4;
    if packet.secrets {
        return 20 + padded(packet.bytes.len());
    }
    let options = packet
        .comment
        .as_ref()
        .map_or(0, |text| 4 + padded(text.len()) + 4);
    28 + padded(packet.bytes.len()) + options + 4
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

/// The sizes the kernel tells, or the fallbacks: each side's segment
/// payload and the window value it writes in its headers (scaled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    client_segment: usize,
    server_segment: usize,
    client_window: u16,
    server_window: u16,
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            client_segment: FALLBACK_SEGMENT_BYTES,
            server_segment: FALLBACK_SEGMENT_BYTES,
            client_window: FALLBACK_WINDOW as u16,
            server_window: FALLBACK_WINDOW as u16,
        }
    }
}

impl Shape {
    fn of(facts: &TcpFacts) -> Shape {
        let timestamps = if facts.timestamps { 12 } else { 0 };
        // The client sends segments of the MSS the server advertised, and
        // the server of its own send MSS.
        let client_segment = usize::from(facts.server_mss).saturating_sub(timestamps);
        let (client_shift, server_shift) = facts
            .window_scale
            .map_or((0, 0), |scale| (scale.client, scale.server));
        let scaled =
            |window: u32, shift: u8| u16::try_from(window >> shift.min(14)).unwrap_or(u16::MAX);
        Shape {
            client_segment: client_segment.max(1),
            server_segment: (facts.send_mss as usize).max(1),
            client_window: scaled(facts.client_window, client_shift),
            server_window: scaled(facts.server_window, server_shift),
        }
    }

    fn segment(&self, side: Side) -> usize {
        match side {
            Side::Client => self.client_segment,
            Side::Server => self.server_segment,
        }
    }

    fn window(&self, side: Side) -> u16 {
        match side {
            Side::Client => self.client_window,
            Side::Server => self.server_window,
        }
    }
}

/// One connection's TCP stream, as it is reconstructed.
pub struct Conversation<'a> {
    capture: &'a Capture,
    /// The connection's number, for the comments on its data.
    id: u64,
    /// The language of the decisions' comments (`--lang`).
    lang: Lang,
    /// The comment the next data segment from each side carries: the
    /// request's number for the client's, the decisions for the server's.
    client_comment: Option<String>,
    server_comment: Option<String>,
    /// Exchanges answered so far.
    exchanges: u64,
    client: SocketAddr,
    server: SocketAddr,
    /// The sequence number of each side's next byte.
    client_next: u32,
    server_next: u32,
    client_closed: bool,
    server_closed: bool,
    shape: Shape,
}

/// One segment to write: who sends it, its flags, its header's window and
/// options, its payload.
struct Segment<'p> {
    from: Side,
    flags: Flags,
    window: u16,
    ttl: u8,
    options: Options<'p>,
    payload: &'p [u8],
}

/// A segment's TCP options: none, as the kernel kept them, or built.
enum Options<'p> {
    None,
    Raw(&'p [u8]),
    Built(Vec<TcpOptionElement>),
}

/// TCP flags of a reconstructed segment.
#[derive(Clone, Copy, Default)]
struct Flags {
    syn: bool,
    ack: bool,
    fin: bool,
    psh: bool,
}

const SYN_KEPT: &str = "The client's SYN as the kernel kept it (TCP_SAVED_SYN): sequence \
    number, window, options and TTL are real";
const SYN_MADE: &str = "Reconstructed SYN: the system kept no copy; the options are those \
    TCP_INFO says were negotiated, or none when it says nothing";
const SYN_ACK_MADE: &str = "Reconstructed SYN-ACK: MSS, SACK permitted, timestamps and window \
    scale as TCP_INFO reports them; the sequence number and the timestamp value are made up";
const ACK_MADE: &str = "Reconstructed ACK: stamped at accept(), one measured round-trip time \
    (tcpi_rtt) after the SYN-ACK";

impl Conversation<'_> {
    /// SYN, SYN-ACK, ACK: the kernel completed them before accept()
    /// returned. The ACK is stamped at the accept, the SYN and SYN-ACK one
    /// round-trip time before it.
    fn handshake(&mut self, opening: &Opening) {
        let accepted = since_epoch(opening.accepted);
        let rtt = opening
            .tcp
            .as_ref()
            .map_or(Duration::ZERO, |facts| facts.rtt);
        let syn_at = accepted.saturating_sub(rtt);
        let mut batch = Vec::with_capacity(3);
        let comment = if opening.syn.is_some() {
            SYN_KEPT
        } else {
            SYN_MADE
        };
        self.segment(&mut batch, syn_at, self.syn(opening), Some(comment.into()));
        self.client_next = self.client_next.wrapping_add(1);
        let syn_ack_at = syn_at + Duration::from_micros(1).min(rtt);
        let syn_ack = self.syn_ack(opening);
        self.segment(&mut batch, syn_ack_at, syn_ack, Some(SYN_ACK_MADE.into()));
        self.server_next = self.server_next.wrapping_add(1);
        let ack = self.plain(Side::Client, ack(), &[]);
        let comment = opening.tcp.is_some().then_some(ACK_MADE.into());
        self.segment(&mut batch, accepted, ack, comment);
        self.capture.write(batch);
    }

    /// The client's SYN: as the kernel kept it, else with the options
    /// TCP_INFO says were negotiated, else with none.
    fn syn<'p>(&self, opening: &'p Opening) -> Segment<'p> {
        let saved = &opening.syn;
        let options = match (saved, &opening.tcp) {
            (Some(saved), _) => Options::Raw(&saved.options),
            (None, Some(facts)) => Options::Built(negotiated(facts, None, None, Side::Client)),
            (None, None) => Options::None,
        };
        Segment {
            from: Side::Client,
            flags: Flags {
                syn: true,
                ..Flags::default()
            },
            window: saved
                .as_ref()
                .map_or(self.shape.client_window, |s| s.window),
            ttl: saved.as_ref().map_or(TTL, |s| s.ttl),
            options,
            payload: &[],
        }
    }

    /// The server's SYN-ACK, with the options TCP_INFO reports.
    fn syn_ack<'p>(&self, opening: &'p Opening) -> Segment<'p> {
        let options = match &opening.tcp {
            Some(facts) => {
                let tsval = since_epoch(opening.accepted).as_millis() as u32;
                let echo = opening.syn.as_ref().and_then(|s| s.tsval);
                Options::Built(negotiated(facts, Some(tsval), echo, Side::Server))
            }
            None => Options::None,
        };
        Segment {
            from: Side::Server,
            flags: Flags {
                syn: true,
                ack: true,
                ..Flags::default()
            },
            // A SYN's window is never scaled (RFC 7323 §2.2).
            window: opening
                .tcp
                .as_ref()
                .map_or(self.shape.server_window, |facts| {
                    u16::try_from(facts.server_window).unwrap_or(u16::MAX)
                }),
            ttl: TTL,
            options,
            payload: &[],
        }
    }

    /// A segment from `from` with the connection's window and no options.
    fn plain<'p>(&self, from: Side, flags: Flags, payload: &'p [u8]) -> Segment<'p> {
        Segment {
            from,
            flags,
            window: self.shape.window(from),
            ttl: TTL,
            options: Options::None,
            payload,
        }
    }

    fn data(&mut self, from: Side, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let now = timestamp();
        let chunks = bytes.chunks(self.shape.segment(from));
        let last = chunks.len() - 1;
        let mut batch = Vec::with_capacity(chunks.len() + 1);
        for (index, chunk) in chunks.enumerate() {
            let flags = Flags {
                ack: true,
                psh: index == last,
                ..Flags::default()
            };
            let segment = self.plain(from, flags, chunk);
            let comment = match (index, from) {
                (0, Side::Client) => self.client_comment.take().map(Cow::Owned),
                (0, Side::Server) => self.server_comment.take().map(Cow::Owned),
                _ => None,
            };
            self.segment(&mut batch, now, segment, comment);
            let next = self.next_mut(from);
            *next = next.wrapping_add(chunk.len() as u32);
        }
        let ack = self.plain(from.other(), ack(), &[]);
        self.segment(&mut batch, now, ack, None);
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
        let fin = self.plain(from, flags, &[]);
        self.segment(&mut batch, now, fin, None);
        let next = self.next_mut(from);
        *next = next.wrapping_add(1);
        let ack = self.plain(from.other(), ack(), &[]);
        self.segment(&mut batch, now, ack, None);
        self.capture.write(batch);
    }

    fn next_mut(&mut self, side: Side) -> &mut u32 {
        match side {
            Side::Client => &mut self.client_next,
            Side::Server => &mut self.server_next,
        }
    }

    /// Adds `segment` to `batch`, acknowledging all the other side sent.
    fn segment(
        &self,
        batch: &mut Batch,
        time: Duration,
        segment: Segment<'_>,
        comment: Option<Cow<'static, str>>,
    ) {
        let (source, destination, seq, acknowledged) = match segment.from {
            Side::Client => (self.client, self.server, self.client_next, self.server_next),
            Side::Server => (self.server, self.client, self.server_next, self.client_next),
        };
        let ip = match (source.ip(), destination.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                PacketBuilder::ipv4(s.octets(), d.octets(), segment.ttl)
            }
            (s, d) => PacketBuilder::ipv6(to_v6(s), to_v6(d), segment.ttl),
        };
        let mut tcp = ip.tcp(source.port(), destination.port(), seq, segment.window);
        let Segment { flags, payload, .. } = segment;
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
        let tcp = match segment.options {
            Options::None => Ok(tcp),
            Options::Raw(bytes) => tcp.options_raw(bytes),
            Options::Built(options) => tcp.options(&options),
        };
        let Ok(tcp) = tcp else {
            return;
        };
        let mut bytes = Vec::with_capacity(tcp.size(payload.len()));
        if tcp.write(&mut bytes, payload).is_ok() {
            batch.push(Packet {
                time,
                bytes,
                comment,
                secrets: false,
            });
        }
    }
}

/// The options of a SYN or SYN-ACK from `side`, in the order Linux writes
/// them: MSS, SACK permitted, timestamps, window scale. The client's MSS
/// is unknown without its SYN, so it is left out.
fn negotiated(
    facts: &TcpFacts,
    tsval: Option<u32>,
    echo: Option<u32>,
    side: Side,
) -> Vec<TcpOptionElement> {
    let mut options = Vec::new();
    if side == Side::Server {
        options.push(TcpOptionElement::MaximumSegmentSize(facts.server_mss));
    }
    if facts.sack {
        options.push(TcpOptionElement::SelectiveAcknowledgementPermitted);
    }
    if facts.timestamps {
        options.push(TcpOptionElement::Timestamp(
            tsval.unwrap_or(0),
            echo.unwrap_or(0),
        ));
    }
    if let Some(scale) = facts.window_scale {
        let shift = match side {
            Side::Client => scale.client,
            Side::Server => scale.server,
        };
        options.push(TcpOptionElement::Noop);
        options.push(TcpOptionElement::WindowScale(shift));
    }
    options
}

impl Observer for Conversation<'_> {
    fn opened(&mut self, opening: &Opening) {
        self.name_next_request();
        self.client = canonical(opening.client);
        self.server = canonical(opening.server);
        self.client_next = opening.client_isn;
        self.server_next = opening.server_isn;
        if let Some(facts) = &opening.tcp {
            self.shape = Shape::of(facts);
        }
        self.handshake(opening);
    }

    fn wants_bytes(&self) -> bool {
        true
    }

    /// The first request's segment is named when the connection opens;
    /// over TLS, after the handshake, when the records carry HTTP.
    fn received(&mut self, bytes: &[u8]) {
        self.data(Side::Client, bytes);
    }

    fn secured(&mut self, _handshake: &super::seam::Secured) {
        self.name_next_request();
    }

    /// The answer about to go: its first segment carries its decisions, in
    /// `--lang`'s language, which Wireshark shows in the packet's details
    /// and gathers under Expert Info; the client's next segment is the next
    /// request.
    fn responding(&mut self, record: &ExchangeRecord<'_>) {
        let lines = explain::explain(record);
        let words: Vec<&str> = lines.iter().map(|said| said.get(self.lang)).collect();
        let tag = match self.lang {
            Lang::En => format!("[conn {} #{}]", self.id, record.number),
            Lang::Zh => format!("[连接 {} #{}]", self.id, record.number),
        };
        self.server_comment = Some(format!("{tag} {}: {}", record.status, words.join("; ")));
        self.exchanges = record.number;
        self.name_next_request();
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

    /// HTTPS: the session's secrets, before the records they decrypt, so
    /// that Wireshark opens the file decrypted with no setting.
    fn secrets(&mut self, lines: &[u8]) {
        self.capture.write(vec![Packet {
            time: timestamp(),
            bytes: lines.to_vec(),
            comment: None,
            secrets: true,
        }]);
    }

    /// A close the server saw as its own end: its FIN, if not yet sent.
    fn closed(&mut self, _reason: crate::protocol::CloseReason, _requests: u64) {
        self.server_closed();
    }
}

impl Conversation<'_> {
    /// Arms the comment of the client's next data segment: the request it
    /// starts, by its number on the connection.
    fn name_next_request(&mut self) {
        let number = self.exchanges + 1;
        self.client_comment = Some(match self.lang {
            Lang::En => format!("[conn {} #{number}] request", self.id),
            Lang::Zh => format!("[连接 {} #{number}] 请求", self.id),
        });
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

fn since_epoch(time: SystemTime) -> Duration {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}

fn timestamp() -> Duration {
    since_epoch(SystemTime::now())
}
