//! Response times as every load figure holds them: an HDR histogram (µs, 3
//! significant digits) that adds up exactly across runs and machines, or
//! goose's rounded buckets in a summary written before tollgate kept one.

use std::collections::BTreeMap;

use goose::metrics::{GooseRequestMetricTimingData, TimeBuckets};
use hdrhistogram::Histogram as HdrHistogram;
use serde::{Deserialize, Serialize};

use super::hdr::Hdr;
use super::recorder;

/// Response times in µs: an HDR histogram, or goose's buckets in a summary
/// from before tollgate kept one (bucket's fastest time in µs → count).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub buckets_us: BTreeMap<u64, u64>,
    pub count: u64,
    pub min_us: u64,
    pub max_us: u64,
    pub total_us: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hdr: Option<Hdr>,
}

impl Histogram {
    pub(super) fn from_goose(data: &GooseRequestMetricTimingData) -> Self {
        Histogram {
            buckets_us: data
                .times_us
                .iter()
                .map(|(&bucket, &count)| (bucket, count as u64))
                .collect(),
            count: data.counter as u64,
            min_us: data.minimum_time_us,
            max_us: data.maximum_time_us,
            total_us: data.total_time_us,
            hdr: None,
        }
    }

    /// The figures of an HDR histogram: its extremes and total are within its
    /// precision (0.1%), its count exact.
    pub fn from_hdr(histogram: HdrHistogram<u64>) -> Self {
        let count = histogram.len();
        let empty = histogram.is_empty();
        Histogram {
            buckets_us: BTreeMap::new(),
            count,
            min_us: if empty { 0 } else { histogram.min() },
            max_us: if empty { 0 } else { histogram.max() },
            total_us: (histogram.mean() * count as f64).round() as u64,
            hdr: Some(Hdr(histogram)),
        }
    }

    /// These times as an HDR histogram: goose's buckets count at their value.
    pub(super) fn as_hdr(&self) -> Option<HdrHistogram<u64>> {
        if let Some(hdr) = &self.hdr {
            return Some(hdr.0.clone());
        }
        let mut histogram = recorder::empty_histogram()?;
        for (&bucket, &count) in &self.buckets_us {
            histogram.saturating_record_n(bucket, count);
        }
        Some(histogram)
    }

    /// Adds `other`'s times to these: HDR counts (or goose's buckets, when
    /// neither side has an HDR histogram) add up exactly, so percentiles of the
    /// sum are as exact as those of one run.
    pub fn add(&mut self, other: &Histogram) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 || other.min_us < self.min_us {
            self.min_us = other.min_us;
        }
        self.max_us = self.max_us.max(other.max_us);
        self.count += other.count;
        self.total_us += other.total_us;
        if self.hdr.is_some() || other.hdr.is_some() {
            if let (Some(mut mine), Some(theirs)) = (self.as_hdr(), other.as_hdr()) {
                // Same bounds on both sides: adding cannot fail.
                let _ = mine.add(&theirs);
                self.hdr = Some(Hdr(mine));
                self.buckets_us.clear();
                return;
            }
        }
        for (bucket, count) in &other.buckets_us {
            *self.buckets_us.entry(*bucket).or_default() += count;
        }
    }

    /// The time `fraction` (0..=1) of the requests finished within, in µs; 0
    /// without requests.
    pub fn percentile_us(&self, fraction: f32) -> u64 {
        // f32 holds 0.9999 as 0.99989998: back to the decimal it was written as.
        let fraction = (f64::from(fraction) * 1e6).round() / 1e6;
        if let Some(hdr) = &self.hdr {
            return recorder::quantile(&hdr.0, fraction).min(self.max_us.max(1));
        }
        let data = GooseRequestMetricTimingData {
            times_us: self
                .buckets_us
                .iter()
                .map(|(&bucket, &count)| (bucket, count as usize))
                .collect::<TimeBuckets>(),
            minimum_time_us: self.min_us,
            maximum_time_us: self.max_us,
            total_time_us: self.total_us,
            counter: self.count as usize,
        };
        data.percentile_us(fraction as f32)
    }

    pub fn mean_us(&self) -> u64 {
        self.total_us.checked_div(self.count).unwrap_or(0)
    }
}

/// A time for people: `850us`, `12.3ms`, `1.20s`.
pub fn micros(us: u64) -> String {
    match us {
        0..1_000 => format!("{us}us"),
        1_000..1_000_000 => format!("{:.1}ms", us as f64 / 1e3),
        _ => format!("{:.2}s", us as f64 / 1e6),
    }
}
