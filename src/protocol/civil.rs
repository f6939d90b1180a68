//! A point in time as a calendar date and a clock in UTC, for the log
//! lines and pages that show one in a form other than the IMF-fixdate of
//! `Date` (which `httpdate` writes).

use std::time::{SystemTime, UNIX_EPOCH};

/// A time in UTC, to the second (times before 1970 read as 1970).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    pub day: u32,
    pub hour: u64,
    pub minute: u64,
    pub second: u64,
}

impl UtcTime {
    pub fn of(at: SystemTime) -> UtcTime {
        let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let (year, month, day) = civil_from_days((secs / 86_400) as i64);
        let rem = secs % 86_400;
        UtcTime {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
        }
    }

    /// `Jan` to `Dec`.
    pub fn month_name(&self) -> &'static str {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        MONTHS[(self.month - 1) as usize]
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day), by
/// Howard Hinnant's `civil_from_days`, exact for every representable day.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn calendar_table() {
        // (seconds since 1970, year, month, day, hour, minute, second)
        let cases = [
            (0, 1970, 1, 1, 0, 0, 0),
            (951_782_400, 2000, 2, 29, 0, 0, 0),
            (1_796_168_439, 2026, 12, 1, 23, 40, 39),
            (4_102_444_799, 2099, 12, 31, 23, 59, 59),
        ];
        for (secs, year, month, day, hour, minute, second) in cases {
            let expected = UtcTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
            };
            assert_eq!(
                UtcTime::of(UNIX_EPOCH + Duration::from_secs(secs)),
                expected,
                "{secs}"
            );
        }
    }
}
