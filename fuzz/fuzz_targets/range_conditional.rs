//! Range and conditional header parsing: arbitrary field values against a
//! file of arbitrary size, with the invariants that make a 206 safe.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use glasshttp::files::conditional::{
    evaluate, if_range_matches, Conditions, EntityTag, Validators,
};
use glasshttp::files::range::{self, RangeOutcome, MAX_RANGES};
use glasshttp::protocol::Method;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (size_bytes, rest) = data.split_at(8);
    // Sizes up to 16 TiB, with small ones common.
    let size = u64::from_le_bytes(size_bytes.try_into().unwrap()) % (1 << 44);
    let mut lines = rest.split(|&b| b == b'\n');
    let range_value = lines.next().unwrap_or_default();

    match range::evaluate(range_value, size) {
        RangeOutcome::Partial(ranges) => {
            assert!(!ranges.is_empty() && ranges.len() <= MAX_RANGES);
            let mut total = 0u64;
            for r in &ranges {
                assert!(r.start <= r.end && r.end < size, "{r:?} outside {size}");
                total += r.byte_count();
            }
            assert!(total <= size, "ranges add up to more than the file");
        }
        RangeOutcome::Unsatisfiable => assert!(size > 0),
        RangeOutcome::Ignored(_) => {}
        RangeOutcome::Absent => panic!("a Range value that is present is never Absent"),
    }

    let fields: Vec<&[u8]> = lines.collect();
    let pick = |i: usize| {
        fields
            .iter()
            .skip(i)
            .step_by(5)
            .copied()
            .collect::<Vec<_>>()
    };
    let conditions = Conditions {
        if_match: pick(0),
        if_none_match: pick(1),
        if_modified_since: pick(2),
        if_unmodified_since: pick(3),
        if_range: pick(4),
    };
    let validators = Validators::new(
        &EntityTag::strong("5-abc".to_string()),
        Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
    );
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let _ = evaluate(Method::Get, &conditions, &validators, now);
    let _ = evaluate(Method::Head, &conditions, &validators, SystemTime::now());
    let _ = if_range_matches(&conditions, &validators);
});
