//! tollgate's JSON load report as tests read it: held to its published schema,
//! and a step's latencies decoded from it.

use serde_json::Value;

/// Where `report` breaks docs/load-report.schema.json.
pub fn schema_misses(report: &Value) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/load-report.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the schema reads"))
            .expect("the schema is JSON");
    super::schema::schema_misses(&schema, &schema, report, "$")
}

/// A step's latencies: its HDR histogram (base64 of the V2 deflate encoding).
pub fn hdr_of(step: &Value) -> hdrhistogram::Histogram<u64> {
    use base64::Engine;
    let encoded = step["latency"]["hdr"].as_str().expect("latency.hdr");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .expect("an HDR histogram")
}
