//! What the matching half hands the correlating half, packed so that an
//! event that feeds correlations costs two allocations whatever it feeds:
//! one string holding its context and every input's values, and the list of
//! inputs. Values are written `LENGTH:VALUE` (a netstring without the
//! comma) and read back with bounds checks, since saved state may be
//! hostile.

use serde::{Deserialize, Serialize};

/// An event's context and correlation inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Packed {
    /// The context's host, user and channel, then each input's values.
    data: String,
    /// Where host, user and channel end in `data` (each starts where the one
    /// before ends); `u32::MAX` for an absent one.
    ends: [u32; 3],
    pub event_id: Option<u32>,
    pub record: Option<u64>,
    pub feeds: Vec<Feed>,
}

/// One event's input to one correlation: the steps it matched, and where
/// its group values then (when the measure reads one) the measured value
/// are, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Feed {
    pub corr: u32,
    /// Bit `s` for step `s`.
    pub steps: u64,
    start: u32,
    end: u32,
}

impl Packed {
    /// The context, with room for `extra` bytes of values.
    /// The context, in `spare`'s buffers when given (a packed input of
    /// an earlier event, handed back), else in new ones.
    pub fn new(
        spare: Option<Packed>,
        host: Option<&str>,
        user: Option<&str>,
        channel: Option<&str>,
        event_id: Option<u32>,
        record: Option<u64>,
        extra: usize,
    ) -> Packed {
        let len = host.map_or(0, str::len) + user.map_or(0, str::len) + channel.map_or(0, str::len);
        let mut p = match spare {
            Some(mut p) => {
                p.data.clear();
                p.data.reserve(len + extra);
                p.feeds.clear();
                p.ends = [u32::MAX; 3];
                p.event_id = event_id;
                p.record = record;
                p
            }
            None => Packed {
                data: String::with_capacity(len + extra),
                ends: [u32::MAX; 3],
                event_id,
                record,
                feeds: Vec::new(),
            },
        };
        for (i, v) in [host, user, channel].into_iter().enumerate() {
            if let Some(v) = v {
                p.data.push_str(v);
                p.ends[i] = p.data.len() as u32;
            }
        }
        p
    }

    /// The bytes its buffers hold.
    pub fn capacity(&self) -> usize {
        self.data.capacity() + self.feeds.capacity() * std::mem::size_of::<Feed>()
    }

    fn part(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        if end == u32::MAX {
            return None;
        }
        let start = self.ends[..i].iter().rev().find(|&&e| e != u32::MAX).map_or(0, |&e| e as usize);
        self.data.get(start..end as usize)
    }

    pub fn host(&self) -> Option<&str> {
        self.part(0)
    }

    pub fn user(&self) -> Option<&str> {
        self.part(1)
    }

    pub fn channel(&self) -> Option<&str> {
        self.part(2)
    }

    /// Adds an input of `values`, or adds `steps` to the input of the same
    /// correlation and values when there is one: an event with one group
    /// and value is one input, whichever steps it matched.
    pub fn add<'v>(&mut self, corr: u32, steps: u64, values: impl Iterator<Item = &'v str>) {
        let start = self.data.len();
        for v in values {
            push_len(&mut self.data, v.len());
            self.data.push(':');
            self.data.push_str(v);
        }
        let end = self.data.len();
        let same = self
            .feeds
            .iter()
            .position(|f| f.corr == corr && self.data.get(f.start as usize..f.end as usize) == self.data.get(start..end));
        match same {
            Some(i) => {
                self.feeds[i].steps |= steps;
                self.data.truncate(start);
            }
            None => self.feeds.push(Feed {
                corr,
                steps,
                start: start as u32,
                end: end as u32,
            }),
        }
    }

    /// An input's values, in order; a damaged run ends them.
    pub fn values(&self, f: &Feed) -> Parts<'_> {
        Parts(self.data.get(f.start as usize..f.end as usize).unwrap_or(""))
    }

    /// Whether an input holds exactly `n` whole values.
    pub fn holds(&self, f: &Feed, n: usize) -> bool {
        let mut p = self.values(f);
        (0..n).all(|_| p.next().is_some()) && p.0.is_empty()
    }
}

/// A length in decimal.
fn push_len(out: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// The values of a packed run.
pub(crate) struct Parts<'a>(&'a str);

impl<'a> Iterator for Parts<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let colon = self.0.bytes().take(20).position(|b| b == b':')?;
        let n: usize = self.0[..colon].parse().ok()?;
        let start = colon + 1;
        let v = self.0.get(start..start.checked_add(n)?)?;
        self.0 = &self.0[start + n..];
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_round_trip_merge_and_damage_ends_them() {
        let mut p = Packed::new(None, Some("H1"), None, Some("Security"), Some(4624), None, 0);
        assert_eq!((p.host(), p.user(), p.channel()), (Some("H1"), None, Some("Security")));
        p.add(3, 1, ["CORP\\adm", "", "h\u{e9}te:12"].into_iter());
        p.add(3, 2, ["CORP\\adm", "", "h\u{e9}te:12"].into_iter());
        p.add(4, 1, ["x"].into_iter());
        assert_eq!(p.feeds.len(), 2);
        assert_eq!(p.feeds[0].steps, 3);
        let f = p.feeds[0];
        assert_eq!(p.values(&f).collect::<Vec<_>>(), ["CORP\\adm", "", "h\u{e9}te:12"]);
        assert!(p.holds(&f, 3) && !p.holds(&f, 2) && !p.holds(&f, 4));
        let bad = Feed { start: 0, end: 99_999, ..f };
        assert_eq!(p.values(&bad).count(), 0);
        let p = Packed::new(Some(p), None, Some("CORP\\a"), None, None, Some(7), 0);
        assert!(p.feeds.is_empty());
        assert_eq!((p.host(), p.user(), p.channel()), (None, Some("CORP\\a"), None));
    }
}
