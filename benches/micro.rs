//! Micro benchmarks of the pure steps of a request: parsing a head,
//! writing a response head, evaluating a Range, evaluating preconditions.
//! Run with `cargo bench --bench micro`.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion};
use glasshttp::files::conditional::{evaluate, Conditions, EntityTag, Validators};
use glasshttp::files::range;
use glasshttp::protocol::request::parse_head;
use glasshttp::protocol::{Body, ConnectionField, Method, Response, Status};

/// What Chromium sends for the lab's page on a reload.
const BROWSER_HEAD: &[u8] = b"GET /logo.png HTTP/1.1\r\n\
Host: 127.0.0.1:8080\r\n\
Connection: keep-alive\r\n\
sec-ch-ua-platform: \"Linux\"\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36\r\n\
Accept: image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8\r\n\
Sec-Fetch-Site: same-origin\r\n\
Sec-Fetch-Mode: no-cors\r\n\
Sec-Fetch-Dest: image\r\n\
Referer: http://127.0.0.1:8080/\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
If-None-Match: \"1abc-18eae542753cdf33\"\r\n\
If-Modified-Since: Tue, 24 Nov 2026 05:51:15 GMT\r\n\r\n";

fn parse(c: &mut Criterion) {
    c.bench_function("parse_head/browser reload", |b| {
        b.iter(|| parse_head(black_box(BROWSER_HEAD)).unwrap().unwrap())
    });
    c.bench_function("parse_head/wrk", |b| {
        let head = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
        b.iter(|| parse_head(black_box(head)).unwrap().unwrap())
    });
}

fn write_head(c: &mut Criterion) {
    let response = Response::new(Status::Ok, Body::Bytes(vec![0; 2830]))
        .with_field("Content-Type", "text/html; charset=utf-8")
        .with_field("Accept-Ranges", "bytes")
        .with_field("Cache-Control", "no-cache")
        .with_field("ETag", "\"b0e-18eae544bc1c445a\"")
        .with_field("Last-Modified", "Tue, 24 Nov 2026 05:51:24 GMT");
    let mut out = Vec::with_capacity(512);
    c.bench_function("write_head/200 file", |b| {
        b.iter(|| {
            out.clear();
            response.write_head(
                &mut out,
                ConnectionField::Absent,
                "Tue, 24 Nov 2026 05:51:28 GMT",
                &[],
            );
            black_box(out.len())
        })
    });
}

fn ranges(c: &mut Criterion) {
    c.bench_function("range/one", |b| {
        b.iter(|| range::evaluate(black_box(b"bytes=0-1023"), black_box(52_004)))
    });
    c.bench_function("range/three", |b| {
        b.iter(|| range::evaluate(black_box(b"bytes=0-99, 200-299, -100"), black_box(52_004)))
    });
}

fn preconditions(c: &mut Criterion) {
    let validators = Validators::new(
        &EntityTag::strong("1abc-18eae542753cdf33".into()),
        Some(UNIX_EPOCH + Duration::from_secs(1_795_000_000)),
    );
    let now = SystemTime::now();
    let matching = Conditions {
        if_none_match: vec![b"\"1abc-18eae542753cdf33\""],
        if_modified_since: vec![b"Tue, 24 Nov 2026 05:51:15 GMT"],
        ..Conditions::default()
    };
    c.bench_function("preconditions/If-None-Match matches", |b| {
        b.iter(|| evaluate(Method::Get, black_box(&matching), &validators, now))
    });
    let dated = Conditions {
        if_modified_since: vec![b"Tue, 24 Nov 2026 05:51:15 GMT"],
        ..Conditions::default()
    };
    c.bench_function("preconditions/If-Modified-Since", |b| {
        b.iter(|| evaluate(Method::Get, black_box(&dated), &validators, now))
    });
}

criterion_group!(benches, parse, write_head, ranges, preconditions);
criterion_main!(benches);
