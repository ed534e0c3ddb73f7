//! An HDR histogram as a load summary holds it: in JSON, the base64 (standard
//! alphabet, padded) of HdrHistogram's V2 compressed encoding (deflate), the
//! form every HdrHistogram port reads (Java's `decodeFromCompressedByteBuffer`,
//! `hdrhistogram.Deserializer` here), so a summary's latencies can be checked
//! or added up outside tollgate.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use serde::de::Error as _;
use serde::{Deserialize, Serialize};

/// A step's latencies in µs.
#[derive(Clone, Debug, PartialEq)]
pub struct Hdr(pub Histogram<u64>);

impl Serialize for Hdr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.0, &mut bytes)
            .map_err(|e| serde::ser::Error::custom(format!("{e:?}")))?;
        serializer.serialize_str(&STANDARD.encode(bytes))
    }
}

impl<'de> Deserialize<'de> for Hdr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| D::Error::custom(format!("hdr is not base64: {e}")))?;
        let histogram: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| {
                D::Error::custom(format!("hdr is not an HdrHistogram V2 encoding: {e:?}"))
            })?;
        Ok(Hdr(histogram))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_reads_back_as_it_was_written() {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for micros in [1, 80, 81, 210, 1_000_000] {
            histogram.record(micros).unwrap();
        }
        let json = serde_json::to_string(&Hdr(histogram.clone())).unwrap();
        let back: Hdr = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, histogram);
        assert_eq!(back.0.len(), 5);
        assert!(serde_json::from_str::<Hdr>("\"not base64!\"").is_err());
        assert!(serde_json::from_str::<Hdr>("\"AAAA\"").is_err());
    }
}
