//! DigiCert date-times in query filters, read one way by `status-changes`
//! (`filters[status_last_updated]`) and the order list (`filters[date_created]`): one end of a
//! range ([`parse_dc_time`]) and the ranges themselves ([`Range`]). Every range is compared
//! with the CA's own clock (ca-sim's simulated time), as the vendor compares with its own.

use super::DcError;

/// DigiCert's documented time zone for `filters[status_last_updated]` ("Timezone is MDT"); the
/// order list's `filters[date_created]` is read the same way.
const MDT_OFFSET_HOURS: i8 = -6;

/// One end of a date filter, in unix seconds. Accepted:
/// `yyyy-MM-dd` (a start means 00:00:00, an end 23:59:59), `yyyy-MM-dd HH:mm:ss` with the
/// separator a space (sent as `+` or `%20`), `T` or `+`, optional fractional seconds, and an
/// optional zone (`Z`, `±HH:MM`, `±HHMM`; an offset whose `+` was decoded to a space is read
/// as `+`). Without a zone the time is MDT (UTC-6).
pub fn parse_dc_time(text: &str, end_of_day: bool) -> Option<i64> {
    use time::macros::format_description;
    let t = text.trim();
    let date = time::Date::parse(t.get(..10)?, format_description!("[year]-[month]-[day]")).ok()?;
    let mdt = time::UtcOffset::from_hms(MDT_OFFSET_HOURS, 0, 0).ok()?;
    let rest = &t[10..];
    if rest.is_empty() {
        let time = if end_of_day {
            time::Time::from_hms(23, 59, 59).ok()?
        } else {
            time::Time::MIDNIGHT
        };
        return Some(
            time::PrimitiveDateTime::new(date, time)
                .assume_offset(mdt)
                .unix_timestamp(),
        );
    }
    let rest = rest.strip_prefix([' ', 'T', 't', '+'])?;
    let hms = rest.get(..8)?;
    let b = hms.as_bytes();
    if b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |s: &str| -> Option<u8> {
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let time = time::Time::from_hms(num(&hms[..2])?, num(&hms[3..5])?, num(&hms[6..8])?).ok()?;
    let mut zone = &rest[8..];
    if let Some(frac) = zone.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        zone = &frac[digits..];
    }
    let offset = match zone {
        "" => mdt,
        "Z" | "z" => time::UtcOffset::UTC,
        z => {
            let (sign, hhmm) = match z.as_bytes()[0] {
                b'+' | b' ' => (1i8, &z[1..]),
                b'-' => (-1i8, &z[1..]),
                _ => return None,
            };
            let hhmm = hhmm.replace(':', "");
            if hhmm.len() != 4 || !hhmm.is_ascii() {
                return None;
            }
            let h = num(&hhmm[..2])? as i8;
            let m = num(&hhmm[2..])? as i8;
            time::UtcOffset::from_hms(sign * h, sign * m, 0).ok()?
        }
    };
    Some(
        time::PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .unix_timestamp(),
    )
}

/// An inclusive range of instants, in unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Range {
    pub fn contains(&self, at_ms: i64) -> bool {
        self.from_ms <= at_ms && at_ms <= self.to_ms
    }

    /// Its width in whole seconds.
    pub fn secs(&self) -> i64 {
        (self.to_ms - self.from_ms) / 1000
    }
}

fn bad_time(v: &str) -> DcError {
    DcError::bad_request(
        "bad_request_format",
        format!("'{v}' is not a date-time; use yyyy-MM-dd or yyyy-MM-dd HH:mm:ss (MDT, UTC-6)"),
    )
}

/// `FROM...TO`: both ends inclusive to the second (a date-only TO means its 23:59:59).
pub fn range(name: &str, text: &str) -> Result<Range, DcError> {
    let Some((a, b)) = text.split_once("...") else {
        return Err(DcError::bad_request(
            "bad_request_format",
            format!("{name} '{text}' must be FROM...TO"),
        ));
    };
    let from = parse_dc_time(a, false).ok_or_else(|| bad_time(a))?;
    let to = parse_dc_time(b, true).ok_or_else(|| bad_time(b))?;
    if from > to {
        return Err(DcError::bad_request(
            "bad_request_format",
            format!("The start of {name} is after its end."),
        ));
    }
    Ok(Range {
        from_ms: from * 1000,
        to_ms: to * 1000 + 999,
    })
}

/// `FROM...TO`, or one bound: `>X`, `>=X`, `<X`, `<=X` (a date-only X stands for its whole
/// day: `>2026-01-02` starts on the 3rd, `<=2026-01-02` ends with the 2nd).
pub fn range_or_bound(name: &str, text: &str) -> Result<Range, DcError> {
    let t = text.trim();
    let (op, value) = if let Some(v) = t.strip_prefix(">=") {
        (">=", v)
    } else if let Some(v) = t.strip_prefix("<=") {
        ("<=", v)
    } else if let Some(v) = t.strip_prefix('>') {
        (">", v)
    } else if let Some(v) = t.strip_prefix('<') {
        ("<", v)
    } else {
        return range(name, t);
    };
    let at = |end_of_day| parse_dc_time(value, end_of_day).ok_or_else(|| bad_time(value));
    Ok(match op {
        ">=" => Range {
            from_ms: at(false)? * 1000,
            to_ms: i64::MAX,
        },
        ">" => Range {
            from_ms: (at(true)? + 1) * 1000,
            to_ms: i64::MAX,
        },
        "<=" => Range {
            from_ms: i64::MIN,
            to_ms: at(true)? * 1000 + 999,
        },
        _ => Range {
            from_ms: i64::MIN,
            to_ms: at(false)? * 1000 - 1,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::{parse_dc_time, range_or_bound};

    #[test]
    fn status_change_times() {
        // 2026-01-02 03:04:05 MDT = 09:04:05 UTC.
        let utc = 1_767_344_645;
        for t in [
            "2026-01-02 03:04:05",
            "2026-01-02+03:04:05",
            "2026-01-02T03:04:05",
            "2026-01-02T03:04:05.250",
            "2026-01-02T09:04:05Z",
            "2026-01-02T09:04:05.0Z",
            "2026-01-02T11:04:05+02:00",
            "2026-01-02T11:04:05 02:00",
            "2026-01-02T11:04:05+0200",
            "2026-01-02T03:04:05-06:00",
            " 2026-01-02 03:04:05 ",
        ] {
            assert_eq!(parse_dc_time(t, false), Some(utc), "{t}");
        }
        assert_eq!(
            parse_dc_time("2026-01-02", false),
            Some(utc - 3 * 3600 - 245)
        );
        assert_eq!(
            parse_dc_time("2026-01-02", true),
            Some(utc - 3 * 3600 - 245 + 86_399)
        );
        for t in [
            "",
            "2026-01-02 3:04:05",
            "2026-01-02 03-04-05",
            "2026-01-02 03:04:05.",
            "2026-01-02 03:04:05+2",
            "2026-01-02 03:04:05+é:00",
            "2026-13-02 03:04:05",
            "2026-01-02X03:04:05",
            "26-01-02 03:04:05",
        ] {
            assert_eq!(parse_dc_time(t, false), None, "{t}");
        }
    }

    #[test]
    fn ranges_and_bounds() {
        // 2026-01-02 00:00:00 MDT = 06:00:00 UTC.
        let day = 1_767_333_600_000_i64;
        let r = range_or_bound("f", "2026-01-02...2026-01-02").unwrap();
        assert_eq!((r.from_ms, r.to_ms), (day, day + 86_400_000 - 1));
        let r = range_or_bound("f", ">=2026-01-02").unwrap();
        assert!(r.contains(day) && !r.contains(day - 1));
        let r = range_or_bound("f", ">2026-01-02").unwrap();
        assert!(r.contains(day + 86_400_000) && !r.contains(day + 86_400_000 - 1));
        let r = range_or_bound("f", "<2026-01-02").unwrap();
        assert!(r.contains(day - 1) && !r.contains(day));
        let r = range_or_bound("f", "<=2026-01-02 00:00:10").unwrap();
        assert!(r.contains(day + 10_999) && !r.contains(day + 11_000));
        for bad in [
            "",
            "2026-01-02",
            ">",
            ">=yesterday",
            "2026-01-03...2026-01-02",
        ] {
            assert!(range_or_bound("f", bad).is_err(), "{bad}");
        }
    }
}
