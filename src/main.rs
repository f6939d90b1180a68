//! The command line: flags → [`Config`], logging, bind, banner, run.

#![forbid(unsafe_code)]

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use glasshttp::files::guard::Guard;
use glasshttp::files::sort::Sort;
use glasshttp::files::store::Uploads;
use glasshttp::files::upload::Sink;
use glasshttp::observe::access_log;
use glasshttp::protocol::added::AddedField;
use glasshttp::protocol::auth::Credentials;
use glasshttp::protocol::cors::Cors;
use glasshttp::protocol::words::Lang;
use glasshttp::server::{
    self, raise_open_file_limit, reachable_addresses, url, CertificateSource, ShutdownHandle,
    Summary, TlsMax, TlsOptions,
};
use glasshttp::sys;
use glasshttp::{Config, Server};

/// A small HTTP/1.1 static file server you can read in an afternoon.
#[derive(Debug, Parser)]
#[command(name = "glasshttp", version, about)]
struct Cli {
    /// Directory to serve [default: ./www when it exists, else the www
    /// folder beside the program (the Windows folder), else the current
    /// directory]
    #[arg(value_name = "DIR", conflicts_with = "root")]
    folder: Option<PathBuf>,
    /// The directory to serve, as a flag (the same as DIR)
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Address to listen on, IPv4 or IPv6; 0.0.0.0 or :: serve the whole
    /// network (:: on IPv4 too); localhost is both loopbacks [default:
    /// 127.0.0.1 and ::1]
    #[arg(short, long, value_name = "ADDR", value_parser = parse_bind)]
    bind: Option<Bind>,
    /// Port to listen on; 0 picks any free port [default: 8080, or the next
    /// free one up to 8089 when 8080 is in use]
    #[arg(short, long, value_name = "N")]
    port: Option<u16>,
    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, value_name = "SECS", default_value_t = server::DEFAULT_IDLE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    idle_timeout: u64,
    /// Seconds a request head may take from its first byte (then 408).
    #[arg(long, value_name = "SECS", default_value_t = server::DEFAULT_HEAD_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    head_timeout: u64,
    /// Seconds a request body may take to arrive (an upload to --sink:
    /// between bytes), then 408.
    #[arg(long, value_name = "SECS", default_value_t = server::DEFAULT_BODY_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout: u64,
    /// Seconds a write may make no progress before the client is dropped.
    #[arg(long, value_name = "SECS", default_value_t = server::DEFAULT_WRITE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    write_timeout: u64,
    /// Connections served at once; more are answered 503
    /// [default: from the open-file limit]
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: Option<u64>,
    /// Seconds a shutdown waits for responses in flight.
    #[arg(long, value_name = "SECS", default_value_t = server::DEFAULT_SHUTDOWN_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    shutdown_timeout: u64,
    /// Bytes from which a folder's .zip takes ZIP64 (for the tests, which
    /// cannot send 4 GiB for each archive)
    #[arg(long, value_name = "BYTES", hide = true)]
    zip64_from: Option<u64>,
    /// Milliseconds a file must be left alone before it is cached (for the
    /// tests, which cannot set a file's change time in the past)
    #[arg(long, value_name = "MS", hide = true)]
    cache_settle_ms: Option<u64>,
    /// Ask for this user and password (HTTP Basic authentication, RFC
    /// 7617) on the paths --auth-path names, the whole site by default
    #[arg(long, value_name = "USER:PASSWORD", value_parser = Credentials::parse)]
    auth: Option<Credentials>,
    /// A path prefix that needs the credentials of --auth (repeatable;
    /// read as a URL path is: %20 or a space, `.` and `..` resolved;
    /// compared without regard to case) [default: /]
    #[arg(long, value_name = "PREFIX", requires = "auth", value_parser = Guard::parse_prefix)]
    auth_path: Vec<glasshttp::files::target::RequestPath>,
    /// Take uploads at this path (the TCP lab): a POST there is read to
    /// its end and thrown away, a GET there is the form to upload with
    #[arg(long, value_name = "PATH", value_parser = parse_sink)]
    sink: Option<Sink>,
    /// The largest upload --sink takes (bytes, or with K, M or G)
    #[arg(long, value_name = "SIZE", default_value = "100M", requires = "sink",
          value_parser = parse_size)]
    sink_limit: u64,
    /// Store files sent with a form in the folders under this path
    /// (--upload=PREFIX, repeatable; bare, the whole site): their listings
    /// get an upload form. Never overwrites: a taken name gets a number
    #[arg(long, value_name = "PREFIX", num_args = 0..=1, default_missing_value = "",
          require_equals = true, action = clap::ArgAction::Append,
          value_parser = glasshttp::files::store::Uploads::parse_prefix)]
    upload: Option<Vec<glasshttp::files::target::RequestPath>>,
    /// The largest upload --upload takes in one request (bytes, or with K,
    /// M or G)
    #[arg(long, value_name = "SIZE", default_value = "1G", requires = "upload",
          value_parser = parse_size)]
    upload_limit: u64,
    /// Do not write the access log.
    #[arg(short, long)]
    quiet: bool,
    /// Explain every connection and exchange on stderr: heads as received
    /// and sent, each decision and why, timing, who closed and why.
    #[arg(long)]
    trace: bool,
    /// Add this field to every response, 304s and errors included
    /// (repeatable): 'Name: value'. Framing, connection and per-response
    /// fields are refused; Cache-Control and Server replace the defaults
    // Read by `AddedField::parse_all` after clap, which would echo a
    // refused value raw (CR, LF and escape sequences included).
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    headers: Vec<String>,
    /// Let pages of other origins read the answers (CORS, with preflight):
    /// bare, any origin (*); with --cors=ORIGIN (scheme://host[:port],
    /// repeatable), only those
    // An optional value is taken only after `=`: `glasshttp --cors ~/site`
    // serves ~/site to any origin, as the peers read it.
    #[arg(long, value_name = "ORIGIN", num_args = 0..=1, default_missing_value = "",
          require_equals = true, action = clap::ArgAction::Append,
          value_parser = parse_cors_origin)]
    cors: Option<Vec<String>>,
    /// Answer a GET for a missing page (no extension, Accept: text/html)
    /// with FILE (--spa=FILE; bare, index.html) and 200, for client-side
    /// routes; assets still get 404
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "index.html",
          require_equals = true)]
    spa: Option<String>,
    /// The listings' order when the URL names none: name, size or time,
    /// with :asc or :desc [default: name; sizes and times start largest and
    /// newest first]
    #[arg(long, value_name = "KEY[:ORDER]", value_parser = Sort::parse)]
    sort: Option<Sort>,
    /// Reload open pages when a file beneath the root changes: every HTML
    /// page served gets a small script listening at /.glasshttp/reload
    #[arg(long)]
    watch: bool,
    /// The language of --trace, en or zh [default: zh when the system's
    /// language is Chinese (LC_ALL, LC_MESSAGES or LANG; on Windows and
    /// macOS the user's language), else en]
    #[arg(long, value_name = "LANG", value_parser = parse_lang)]
    lang: Option<Lang>,
    /// Close every connection after one response (lab mode: compare with
    /// keep-alive in the trace and the capture).
    #[arg(long)]
    no_keepalive: bool,
    /// Linux: accept a connection only once its first bytes arrive
    /// (TCP_DEFER_ACCEPT, nginx's `deferred`): one wake-up less for each new
    /// connection. A connection that sends nothing stays out of the trace,
    /// the inspector and the capture until it does, and its SYN-ACK may be
    /// sent again.
    #[arg(long)]
    defer_accept: bool,
    /// Record the server's own conversations in a pcapng file for Wireshark
    /// or tshark (TCP/IP headers reconstructed from socket events).
    #[arg(long, value_name = "FILE")]
    capture: Option<PathBuf>,
    /// The most the capture file may take (bytes, or with K, M or G); at
    /// the limit recording stops.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    capture_limit: u64,
    /// Answer 404 for a directory without index.html instead of listing it.
    #[arg(long)]
    no_listing: bool,
    /// A directory's index page (repeatable, the first found served)
    /// [default: index.html]
    #[arg(long = "index", value_name = "NAME",
          value_parser = glasshttp::files::root::parse_index_name)]
    index_names: Vec<String>,
    /// List and serve dotfiles (for .well-known/); .git and .glasshttp
    /// never
    #[arg(long)]
    hidden: bool,
    /// Do not serve /about.html for /about when nothing is named about
    /// (clean URLs, on by default: a folder or file of that name wins)
    #[arg(long)]
    no_clean_urls: bool,
    /// Do not compress responses in memory (precompressed .br and .gz
    /// files beside the originals are still sent to clients that accept them).
    #[arg(long)]
    no_compress: bool,
    /// Serve a live inspector of every connection (ladder diagrams, both
    /// heads, each decision) on this port, on loopback unless an address is
    /// given (ADDR:PORT); 0 picks a free port. It shows request heads,
    /// cookies included: keep it off the network.
    #[arg(long, value_name = "[ADDR:]PORT", value_parser = parse_inspect)]
    inspect: Option<SocketAddr>,
    /// Connections the inspector and the report keep; older ones are dropped.
    #[arg(long, value_name = "N", default_value_t = glasshttp::observe::journal::DEFAULT_KEEP as u64,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    inspect_keep: u64,
    /// At shutdown, write every connection kept (as the inspector shows
    /// them) into one self-contained HTML file.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// At shutdown, write every exchange kept as an HTTP Archive (HAR 1.2)
    /// with the server's timings, for the browser's DevTools (Network,
    /// Import HAR).
    #[arg(long, value_name = "FILE.har")]
    har: Option<PathBuf>,
    /// Print a QR code of the address a phone would use (the first
    /// non-loopback address served, else loopback), and show one on the
    /// listings
    #[arg(long)]
    qr: bool,
    /// Open the served page in the default browser once listening.
    #[arg(short, long)]
    open: bool,
    /// Serve HTTPS, with a certificate made for you: a local certificate
    /// authority, made once in your data folder, signs one for localhost
    /// and every address served (the banner says how to trust it)
    #[arg(long)]
    tls: bool,
    /// Serve HTTPS with your own certificate chain (PEM) instead; with
    /// --tls-key
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// HTTPS on this port, with HTTP still on --port beside it [default:
    /// --port itself is HTTPS]
    #[arg(long, value_name = "N")]
    tls_port: Option<u16>,
    /// The highest TLS version offered: 1.2 shows the handshake of the
    /// textbooks (Certificate, ServerHelloDone, ClientKeyExchange in clear)
    #[arg(long, value_name = "1.2|1.3", value_parser = TlsMax::parse)]
    tls_max: Option<TlsMax>,
    /// Append this server's TLS session secrets to FILE (the NSS key log
    /// format Wireshark reads); SSLKEYLOGFILE does the same. Anyone with
    /// the file can decrypt those sessions
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
}

/// What `--bind` names: both loopbacks (`localhost`), or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bind {
    Localhost,
    Addr(IpAddr),
}

impl Bind {
    /// The one address named; none for both loopbacks (the default's).
    fn address(self) -> Option<IpAddr> {
        match self {
            Bind::Addr(ip) => Some(ip),
            Bind::Localhost => None,
        }
    }
}

/// `--bind`: an IPv4 or IPv6 address, or `localhost` (any case), which is
/// the default's two loopbacks rather than whichever one a name lookup
/// would give first.
fn parse_bind(text: &str) -> Result<Bind, String> {
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(Bind::Localhost);
    }
    text.parse().map(Bind::Addr).map_err(|_| {
        format!(
            "{text:?} is not an IP address: give one of this machine's (127.0.0.1, ::1, \
             0.0.0.0 for the whole network) or localhost"
        )
    })
}

/// `[ADDR:]PORT` for `--inspect`: a port alone is on loopback.
fn parse_inspect(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::from([127, 0, 0, 1]), port));
    }
    text.parse()
        .map_err(|_| format!("{text:?} is neither a port nor ADDR:PORT ([::1]:PORT for IPv6)"))
}

/// `SIZE`: a number of bytes, or of KiB, MiB or GiB with `K`, `M` or `G`.
fn parse_sink(text: &str) -> Result<Sink, String> {
    Sink::new(text, glasshttp::files::upload::DEFAULT_SINK_LIMIT).map_err(str::to_string)
}

/// `--cors [ORIGIN]`: nothing (any origin), or an origin.
fn parse_cors_origin(text: &str) -> Result<String, String> {
    match text {
        "" => Ok(String::new()),
        origin => Cors::parse_origin(origin),
    }
}

/// `--lang`: `en` or `zh`, in any case.
fn parse_lang(text: &str) -> Result<Lang, String> {
    match text.to_ascii_lowercase().as_str() {
        "en" => Ok(Lang::En),
        "zh" => Ok(Lang::Zh),
        _ => Err("expected en or zh".to_string()),
    }
}

fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, shift) = match text.strip_suffix(['K', 'k']) {
        Some(digits) => (digits, 10),
        None => match text.strip_suffix(['M', 'm']) {
            Some(digits) => (digits, 20),
            None => match text.strip_suffix(['G', 'g']) {
                Some(digits) => (digits, 30),
                None => (text, 0),
            },
        },
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 100M, 512K or 1048576"))?;
    number
        .checked_mul(1 << shift)
        .filter(|&bytes| bytes > 0)
        .ok_or_else(|| format!("{text:?} is zero or too large"))
}

/// The system's language (`LC_ALL`, `LC_MESSAGES`, `LANG`; on Windows and
/// macOS the user's): what `--lang` defaults to, and `--help`'s footer.
fn system_lang() -> Lang {
    sys::user_language().map_or(Lang::En, |name| Lang::from_locale(&name))
}

/// The footer of `--help`: where the lab guides are, in `lang`. A student
/// who double-clicked the Windows folder's program and then typed
/// `glasshttp --help` learns there that the guides open the same way.
fn help_footer(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "The lab guides: LAB.html (English) and LAB.zh-CN.html (中文) in the Windows folder \
             open with a double-click; in the source they are docs/LAB.md and docs/LAB.zh-CN.md. \
             This note and --lang's default follow the system's language."
        }
        Lang::Zh => {
            "实验指南：Windows 文件夹中的 LAB.zh-CN.html（中文）和 LAB.html（English）\
             双击即可打开；源代码中是 docs/LAB.zh-CN.md 和 docs/LAB.md。\
             这段说明和 --lang 的默认值都跟随系统语言。"
        }
    }
}

/// The command line, read with `--help`'s footer in the system's language.
fn parse_command_line() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command()
        .after_help(help_footer(system_lang()))
        .get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

fn main() -> ExitCode {
    let cli = parse_command_line();
    init_logging(cli.quiet);
    let open = cli.open;
    let (config, chosen) = match cli.into_config() {
        Ok(chosen) => chosen,
        Err(why) => return start_failed(&why),
    };
    let server = match Server::bind(&config) {
        Ok(server) => server,
        Err(error) => return start_failed(&error.in_lang(config.lang)),
    };
    if let Err(error) = stop_on_request(server.shutdown_handle()) {
        let why = format!("cannot handle requests to stop (Ctrl-C, SIGTERM): {error}");
        return start_failed(&why);
    }
    print_banner(&server, chosen, config.lang);
    if open {
        let addr = server.local_addr();
        open_in_browser(addr, server.is_secure(addr));
    }
    let summary = server.run();
    print_summary(&summary);
    match &summary.report_error {
        Some(failure) => {
            eprintln!("glasshttp: error: {failure}");
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    }
}

/// A start-up error: one line, the window kept open for a double-click
/// user, and a non-zero exit code.
fn start_failed(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("glasshttp: error: {error}");
    sys::hold_own_console_open();
    ExitCode::FAILURE
}

/// Every `--header` value read; the first that cannot be added ends the
/// program as clap ends it for any other flag (one line, exit 2).
fn added_fields(texts: &[String]) -> Vec<AddedField> {
    AddedField::parse_all(texts).unwrap_or_else(|why| {
        use clap::CommandFactory;
        Cli::command()
            .error(clap::error::ErrorKind::ValueValidation, why)
            .exit()
    })
}

impl Cli {
    /// The server's configuration, and why the root is the one it is; or
    /// why HTTPS cannot be set up.
    fn into_config(self) -> Result<(Config, RootChoice), String> {
        let added = added_fields(&self.headers);
        let tls = self.tls_options()?;
        // Every flag's default is the server's own (its named constants, or
        // this), so the two cannot disagree.
        let defaults = Config::default();
        let (root, chosen) = choose_root(self.folder.or(self.root), beside_program(), |dir| {
            dir.is_dir()
        });
        let (secs, millis) = (Duration::from_secs, Duration::from_millis);
        let bind = self.bind.and_then(Bind::address);
        let uploads = (self.upload).map(|prefixes| Uploads::new(prefixes, self.upload_limit));
        let config = Config {
            root,
            // No --bind: both loopbacks, for whichever `localhost` a browser tries.
            addr: SocketAddr::new(
                bind.unwrap_or(defaults.addr.ip()),
                self.port.unwrap_or(server::DEFAULT_PORT),
            ),
            port_fallback: self.port.is_none(),
            command: shown_command(std::env::args()),
            also_listen: bind.map_or(defaults.also_listen.clone(), |_| Vec::new()),
            idle_timeout: secs(self.idle_timeout),
            head_timeout: secs(self.head_timeout),
            body_timeout: secs(self.body_timeout),
            write_timeout: secs(self.write_timeout),
            max_connections: self
                .max_connections
                .map_or_else(default_max_connections, |n| n as usize),
            shutdown_timeout: secs(self.shutdown_timeout),
            keep_alive: !self.no_keepalive,
            defer_accept: self.defer_accept,
            trace: self.trace,
            lang: self.lang.unwrap_or_else(system_lang),
            capture: self.capture,
            capture_limit: self.capture_limit,
            listings: !self.no_listing,
            clean_urls: !self.no_clean_urls,
            uploads,
            index_names: self.index_names,
            hidden: self.hidden,
            qr: self.qr,
            zip64_from: self.zip64_from.unwrap_or(defaults.zip64_from),
            compress: !self.no_compress,
            inspect: self.inspect,
            inspect_keep: self.inspect_keep as usize,
            report: self.report,
            har: self.har,
            auth: (self.auth).map(|credentials| Guard::new(credentials, &self.auth_path)),
            sink: self.sink.map(|sink| sink.with_limit(self.sink_limit)),
            added,
            cors: self.cors.map(Cors::from_origins),
            spa: self.spa,
            sort: self.sort.unwrap_or_default(),
            watch: self.watch,
            cache_settle_time: (self.cache_settle_ms).map_or(defaults.cache_settle_time, millis),
            tls,
        };
        Ok((config, chosen))
    }

    /// `--tls` and its flags, or `None` for HTTP only. A TLS flag without
    /// `--tls` (or `--tls-cert`) ends the program as clap ends it.
    fn tls_options(&self) -> Result<Option<TlsOptions>, String> {
        let certificate = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => CertificateSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            // GLASSHTTP_CA_DIR, as mkcert's CAROOT: where the local CA
            // lives, when not in the data folder (a shared lab machine, a
            // test, a Wine prefix that sets its own APPDATA).
            _ if self.tls => CertificateSource::MadeHere(
                std::env::var_os("GLASSHTTP_CA_DIR")
                    .filter(|dir| !dir.is_empty())
                    .map(PathBuf::from)
                    .or_else(sys::data_dir)
                    .ok_or(
                        "--tls: no data folder for the local CA (set HOME, or APPDATA on \
                         Windows, or GLASSHTTP_CA_DIR), or pass --tls-cert and --tls-key",
                    )?,
            ),
            _ => {
                let stray = [
                    ("--tls-port", self.tls_port.is_some()),
                    ("--tls-max", self.tls_max.is_some()),
                    ("--keylog", self.keylog.is_some()),
                ];
                if let Some((flag, _)) = stray.iter().find(|(_, given)| *given) {
                    use clap::CommandFactory;
                    Cli::command()
                        .error(
                            clap::error::ErrorKind::MissingRequiredArgument,
                            format!("{flag} needs --tls (or --tls-cert and --tls-key)"),
                        )
                        .exit()
                }
                return Ok(None);
            }
        };
        let keylog = self.keylog.clone().or_else(|| {
            std::env::var_os("SSLKEYLOGFILE")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from)
        });
        Ok(Some(TlsOptions {
            certificate,
            port: self.tls_port,
            max: self.tls_max.unwrap_or_default(),
            keylog,
        }))
    }
}

/// The connection limit when `--max-connections` is not given: what the
/// open-file and task limits allow, raised first where they can be.
fn default_max_connections() -> usize {
    let most = raise_open_file_limit();
    log::debug!("the open-file and task limits allow {most} connections by default");
    most
}

/// The command line as the report shows it: `--auth`'s password hidden.
fn shown_command(args: impl Iterator<Item = String>) -> String {
    let hide = |value: &str| match value.split_once(':') {
        Some((user, _)) => format!("{user}:********"),
        None => "********".to_string(),
    };
    let mut shown = Vec::new();
    let mut secret_next = false;
    for arg in args {
        let arg = match arg.strip_prefix("--auth=") {
            Some(value) => format!("--auth={}", hide(value)),
            None if secret_next => hide(&arg),
            None => arg,
        };
        secret_next = arg == "--auth";
        shown.push(if arg.contains(' ') {
            format!("\"{arg}\"")
        } else {
            arg
        });
    }
    shown.join(" ")
}

/// The `www` folder beside the program (the Windows folder's).
fn beside_program() -> Option<PathBuf> {
    let program = std::env::current_exe().ok()?;
    Some(program.parent()?.join("www"))
}

/// Why the served folder is the one it is, for the banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RootChoice {
    /// Named on the command line.
    Given,
    /// `./www`: the repository, for `cargo run`.
    WwwHere,
    /// The `www` beside the program: the Windows folder, whatever directory
    /// Explorer or a shortcut starts it in.
    WwwBesideProgram,
    /// Neither exists: where it was started, as `python -m http.server`.
    CurrentDirectory,
}

impl RootChoice {
    fn why(self) -> &'static str {
        match self {
            RootChoice::Given => "given on the command line",
            RootChoice::WwwHere => "./www, found in the current directory",
            RootChoice::WwwBesideProgram => "the www folder beside the program",
            RootChoice::CurrentDirectory => "the current directory, which has no www folder",
        }
    }
}

/// The folder to serve: the one `given`, else `./www`, else the `www`
/// `beside_program`, else the current directory; `is_dir` looks.
fn choose_root(
    given: Option<PathBuf>,
    beside_program: Option<PathBuf>,
    is_dir: impl Fn(&std::path::Path) -> bool,
) -> (PathBuf, RootChoice) {
    if let Some(given) = given {
        return (given, RootChoice::Given);
    }
    let here = PathBuf::from("www");
    if is_dir(&here) {
        return (here, RootChoice::WwwHere);
    }
    match beside_program.filter(|beside| is_dir(beside)) {
        Some(beside) => (beside, RootChoice::WwwBesideProgram),
        None => (PathBuf::from("."), RootChoice::CurrentDirectory),
    }
}

/// The first request to stop (Ctrl-C, SIGTERM, Ctrl-Break, closing the
/// console: see [`sys::on_termination`]) starts a graceful shutdown; a
/// second one ends the process at once.
fn stop_on_request(handle: ShutdownHandle) -> std::io::Result<()> {
    let mut requests = 0u32;
    sys::on_termination(move || {
        requests += 1;
        if requests == 1 {
            log::info!("shutting down: finishing responses in flight (Ctrl-C again to stop now)");
            handle.shutdown();
        } else {
            eprintln!("glasshttp: stopped at once by a second request to stop");
            std::process::exit(130);
        }
    })
}

fn print_summary(summary: &Summary) {
    let mut line = format!(
        "glasshttp stopped: served {} connections, {} requests",
        summary.connections, summary.requests
    );
    if summary.refused > 0 {
        line.push_str(&format!(
            "; refused {} past the connection or thread limit",
            summary.refused
        ));
    }
    if summary.capture_dropped > 0 {
        line.push_str(&format!(
            "; the capture dropped {} packets (its writer fell behind)",
            summary.capture_dropped
        ));
    }
    if summary.forced > 0 {
        line.push_str(&format!(
            "; closed {} still busy at the deadline",
            summary.forced
        ));
    }
    // The terminal may be gone by now; that is no reason to fail.
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Access lines are printed bare, as Common Log Format; everything else with
/// its level. `RUST_LOG` overrides the default (info); `--quiet` silences
/// the access log whatever `RUST_LOG` says.
fn init_logging(quiet: bool) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if quiet {
        builder.filter_module(access_log::TARGET, log::LevelFilter::Off);
    }
    builder.format(|out, record| {
        if record.target() == access_log::TARGET {
            writeln!(out, "{}", record.args())
        } else {
            writeln!(
                out,
                "glasshttp: {}: {}",
                record.level().as_str().to_lowercase(),
                record.args()
            )
        }
    });
    builder.init();
}

/// Where the server can be reached, as Flask's development server says it.
fn print_banner(server: &Server, chosen: RootChoice, lang: Lang) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "glasshttp {} serving {} ({})",
        env!("CARGO_PKG_VERSION"),
        sys::display_path(server.root()),
        chosen.why()
    );
    print_addresses(&mut out, server);
    print_moved(&mut out, server, lang);
    print_tls(&mut out, server);
    print_features(&mut out, server);
    print_qr(&mut out, server);
    let _ = writeln!(out, "Press Ctrl-C to stop");
    let _ = out.flush();
}

/// `--qr`: the code of the address a phone would use, and that address.
fn print_qr(out: &mut impl Write, server: &Server) {
    let Some(url) = server.phone_url() else {
        return;
    };
    let _ = writeln!(out, " * Scan to open {url} on a phone (--qr):");
    for line in glasshttp::files::qr::terminal_lines(url).unwrap_or_default() {
        let _ = writeln!(out, "   {line}");
    }
    if url.contains("://127.") || url.contains("://[::1]") {
        let _ = writeln!(
            out,
            " * That address is this machine's loopback: a phone reaches the server only with \
             --bind 0.0.0.0 (your network)"
        );
    }
}

/// The banner's addresses: where the server and the inspector listen.
fn print_addresses(out: &mut impl Write, server: &Server) {
    for &addr in server.local_addrs() {
        let secure = server.is_secure(addr);
        if addr.ip().is_unspecified() {
            let _ = writeln!(out, " * Running on all addresses ({})", addr.ip());
            for ip in reachable_addresses(addr.ip()) {
                let each = SocketAddr::new(ip, addr.port());
                let _ = writeln!(out, " * Running on {}", url(each, secure));
            }
        } else {
            let _ = writeln!(out, " * Running on {}", url(addr, secure));
        }
    }
    if let Some(inspector) = server.inspector_addr() {
        let _ = writeln!(out, " * Inspector on {}", url(inspector, false));
        if !inspector.ip().is_loopback() {
            let _ = writeln!(
                out,
                " * The inspector is not on loopback: anyone who can reach {} can read every \
                 request head it keeps, cookies and Authorization included (it answers only to \
                 that address or a loopback name, with port {})",
                inspector.ip(),
                inspector.port()
            );
        }
    }
}

/// Why the banner's port is not the one asked for, in `lang`.
fn print_moved(out: &mut impl Write, server: &Server, lang: Lang) {
    let Some(asked) = server.moved_from() else {
        return;
    };
    let port = server.local_addr().port();
    let said = match lang {
        Lang::En => format!(
            " * Port {asked} is in use (glasshttp may already be running in another window): \
             serving on {port} instead"
        ),
        Lang::Zh => format!(
            " * 端口 {asked} 已被占用（glasshttp 可能已经在另一个窗口中运行）：改用端口 {port}"
        ),
    };
    let _ = writeln!(out, "{said}");
}

/// The banner's HTTPS lines: the version cap, the certificate and how to
/// trust its CA on each system, and what the key log exposes.
fn print_tls(out: &mut impl Write, server: &Server) {
    let Some(tls) = server.tls() else {
        return;
    };
    let _ = writeln!(
        out,
        " * HTTPS: TLS 1.2 up to {} (--tls-max)",
        tls.max.name()
    );
    if let Some(ca) = &tls.ca_file {
        let ca = sys::display_path(ca);
        let made = if tls.ca_made_now {
            "made now"
        } else {
            "kept from before"
        };
        let _ = writeln!(
            out,
            " * Certificate: made at this start for localhost and the addresses above, signed by \
             glasshttp's local CA ({made}): {ca}\n \
             * Until you trust that CA, browsers warn that the connection is not private: \
             the client checks who signed the certificate. To trust it once (yours alone):\n   \
             Windows: certutil -user -addstore Root \"{ca}\"\n   \
             macOS:   security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db \"{ca}\"\n   \
             Linux:   sudo cp \"{ca}\" /usr/local/share/ca-certificates/glasshttp-ca.crt && sudo update-ca-certificates\n   \
             Firefox: Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import\n   \
             curl:    curl --cacert \"{ca}\" https://localhost:PORT/"
        );
    }
    if let Some(keylog) = &tls.keylog {
        let _ = writeln!(
            out,
            " * Key log: this server's session secrets are appended to {}; anyone with that file \
             can decrypt these sessions (Wireshark: TLS > (Pre)-Master-Secret log filename)",
            sys::display_path(keylog)
        );
    }
}

/// The banner's features that change what a client gets or what is seen
/// of it: `--defer-accept`, `--watch`, `--cors`, `--auth`, with a warning
/// where credentials cross a network.
fn print_features(out: &mut impl Write, server: &Server) {
    if server.defers_accept() {
        let _ = writeln!(
            out,
            " * A connection is taken once its first bytes arrive (--defer-accept): \
             one that sends nothing is not traced, inspected or captured until it does"
        );
    }
    if server.watches() {
        let _ = writeln!(
            out,
            " * Watching the root: open pages reload when a file changes (--watch)"
        );
    }
    match server.cors() {
        Some(Cors::Any) => {
            let _ = writeln!(
                out,
                " * CORS: pages of any origin may read the answers (--cors)"
            );
        }
        Some(Cors::Origins(origins)) => {
            let origins = origins.join(", ");
            let _ = writeln!(
                out,
                " * CORS: pages of {origins} may read the answers (--cors)"
            );
        }
        None => {}
    }
    if let Some(uploads) = server.uploads() {
        let _ = writeln!(
            out,
            " * Uploads: files sent to the folders under {} are stored there, never replacing one (--upload)",
            uploads.shown()
        );
    }
    if let Some(guard) = server.guard() {
        let exposed = server
            .local_addrs()
            .iter()
            .any(|addr| !addr.ip().is_loopback());
        let _ = writeln!(out, " * Basic authentication as {} (--auth)", guard.user());
        if exposed {
            let _ = writeln!(
                out,
                " * Warning: over plain HTTP off loopback, anyone on the network can read the \
                 credentials (Basic is Base64, not encryption)"
            );
        }
    }
}

/// `--open`: the served URL in the default browser (`$BROWSER` when set),
/// from its own thread so that a slow launcher never delays serving. If no
/// browser starts, one line says so and the server goes on.
fn open_in_browser(addr: SocketAddr, secure: bool) {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let url = url(SocketAddr::new(ip, addr.port()), secure);
    std::thread::spawn(move || {
        if let Err(error) = sys::open_browser(&url) {
            let why = error.to_string().replace('\n', "; ");
            eprintln!("glasshttp: could not start a browser ({why}); open {url} yourself");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_limits_default_texts_are_their_constants() {
        let default = Cli::parse_from(["glasshttp"]).capture_limit;
        assert_eq!(default, glasshttp::observe::capture::DEFAULT_LIMIT_BYTES);
        let default = Cli::parse_from(["glasshttp", "--sink", "/upload"]).sink_limit;
        assert_eq!(default, glasshttp::files::upload::DEFAULT_SINK_LIMIT);
    }

    #[test]
    fn bind_takes_an_address_or_localhost() {
        let cases = [
            ("localhost", Ok(Bind::Localhost)),
            ("LocalHost", Ok(Bind::Localhost)),
            ("127.0.0.1", Ok(Bind::Addr([127, 0, 0, 1].into()))),
            ("::1", Ok(Bind::Addr(std::net::Ipv6Addr::LOCALHOST.into()))),
            ("0.0.0.0", Ok(Bind::Addr([0, 0, 0, 0].into()))),
            ("example.com", Err("\"example.com\" is not an IP address")),
            ("127.0.0.1:8080", Err("is not an IP address")),
            ("", Err("is not an IP address")),
        ];
        for (text, expected) in cases {
            match (parse_bind(text), expected) {
                (Ok(bind), Ok(want)) => assert_eq!(bind, want, "{text}"),
                (Err(why), Err(part)) => assert!(why.contains(part), "{text}: {why}"),
                (got, want) => panic!("{text}: {got:?}, expected {want:?}"),
            }
        }
    }

    /// The habits people bring from python -m http.server, miniserve and
    /// serve: short flags, and an optional value that never swallows the
    /// folder after it.
    #[test]
    fn short_flags_and_optional_values_read_as_the_peers_read_them() {
        let cases: [(&[&str], &str); 8] = [
            (&["-p", "9000"], "port=9000"),
            (
                &["-b", "localhost", "-q", "-o"],
                "bind=localhost quiet open",
            ),
            (&["--spa", "site"], "spa=index.html folder=site"),
            (&["--spa=app.html", "site"], "spa=app.html folder=site"),
            (&["--cors", "site"], "cors=* folder=site"),
            (
                &["--cors=http://a.test", "site"],
                "cors=http://a.test folder=site",
            ),
            (&["site", "--spa"], "spa=index.html folder=site"),
            (&["-p", "0", "site"], "port=0 folder=site"),
        ];
        for (args, expected) in cases {
            let cli = Cli::try_parse_from(std::iter::once(&"glasshttp").chain(args)).unwrap();
            let mut read = Vec::new();
            if let Some(port) = cli.port {
                read.push(format!("port={port}"));
            }
            match cli.bind {
                Some(Bind::Localhost) => read.push("bind=localhost".into()),
                Some(Bind::Addr(ip)) => read.push(format!("bind={ip}")),
                None => {}
            }
            for (on, name) in [(cli.quiet, "quiet"), (cli.open, "open")] {
                if on {
                    read.push(name.into());
                }
            }
            if let Some(spa) = &cli.spa {
                read.push(format!("spa={spa}"));
            }
            if let Some(origins) = &cli.cors {
                let origins: Vec<&str> = origins
                    .iter()
                    .map(|o| if o.is_empty() { "*" } else { o.as_str() })
                    .collect();
                read.push(format!("cors={}", origins.join(",")));
            }
            if let Some(folder) = &cli.folder {
                read.push(format!("folder={}", folder.display()));
            }
            assert_eq!(read.join(" "), expected, "{args:?}");
        }
    }

    #[test]
    fn the_reports_command_line_hides_the_password() {
        let cases = [
            (
                "glasshttp --auth alice:s3cret www",
                "glasshttp --auth alice:******** www",
            ),
            ("glasshttp --auth=bob:pw:x", "glasshttp --auth=bob:********"),
            ("glasshttp --trace --port 0", "glasshttp --trace --port 0"),
        ];
        for (given, shown) in cases {
            let args = given.split(' ').map(String::from);
            assert_eq!(shown_command(args), shown);
            assert!(!shown.contains("s3cret") && !shown.contains("pw"));
        }
    }

    #[test]
    fn inspect_addresses_table() {
        let cases = [
            ("0", Some("127.0.0.1:0")),
            ("8081", Some("127.0.0.1:8081")),
            ("0.0.0.0:8081", Some("0.0.0.0:8081")),
            ("[::1]:0", Some("[::1]:0")),
            ("localhost:80", None),
            ("65536", None),
            ("", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_inspect(text).ok().map(|addr| addr.to_string());
            assert_eq!(parsed.as_deref(), expected, "{text:?}");
        }
    }

    #[test]
    fn the_folder_served_is_chosen_in_order_table() {
        use std::path::Path;
        let beside = || Some(PathBuf::from("/opt/glasshttp/www"));
        // (given, directories that exist, the www beside the program, served, why)
        type Case<'a> = (
            Option<&'a str>,
            &'a [&'a str],
            Option<PathBuf>,
            &'a str,
            RootChoice,
        );
        let cases: [Case; 6] = [
            (
                Some("site"),
                &["www", "/opt/glasshttp/www"],
                beside(),
                "site",
                RootChoice::Given,
            ),
            (
                None,
                &["www", "/opt/glasshttp/www"],
                beside(),
                "www",
                RootChoice::WwwHere,
            ),
            (None, &["www"], None, "www", RootChoice::WwwHere),
            (
                None,
                &["/opt/glasshttp/www"],
                beside(),
                "/opt/glasshttp/www",
                RootChoice::WwwBesideProgram,
            ),
            (None, &[], beside(), ".", RootChoice::CurrentDirectory),
            (None, &[], None, ".", RootChoice::CurrentDirectory),
        ];
        for (given, dirs, beside, root, chosen) in cases {
            let is_dir = |path: &Path| dirs.iter().any(|dir| Path::new(dir) == path);
            let got = choose_root(given.map(PathBuf::from), beside, is_dir);
            assert_eq!(got, (PathBuf::from(root), chosen), "{given:?} {dirs:?}");
        }
    }
}
