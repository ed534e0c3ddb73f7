//! What the load tests share: a checker for docs/load-report.schema.json.

use serde_json::Value;

/// The parts of JSON Schema docs/load-report.schema.json uses: type, const,
/// enum, required, properties, additionalProperties, items, maxItems, minimum
/// and local `$ref`s. Returns where `value` breaks the schema.
pub fn schema_misses(schema: &Value, root: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut misses = Vec::new();
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/$defs/");
        return schema_misses(&root["$defs"][name], root, value, at);
    }
    let type_ok = match schema["type"].as_str() {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_u64() || value.is_i64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        _ => true,
    };
    if !type_ok {
        return vec![format!("{at}: not {}", schema["type"])];
    }
    if !schema["const"].is_null() && schema["const"] != *value {
        misses.push(format!("{at}: not {}", schema["const"]));
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            misses.push(format!("{at}: {value} not in {allowed:?}"));
        }
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64()) {
        if n < min {
            misses.push(format!("{at}: {n} < {min}"));
        }
    }
    for required in schema["required"].as_array().into_iter().flatten() {
        if value.get(required.as_str().unwrap()).is_none() {
            misses.push(format!("{at}: no {required}"));
        }
    }
    if let Some(object) = value.as_object() {
        for (key, item) in object {
            let sub = match schema["properties"].get(key) {
                Some(sub) => sub,
                None => &schema["additionalProperties"],
            };
            if sub.is_object() {
                misses.extend(schema_misses(sub, root, item, &format!("{at}.{key}")));
            }
        }
    }
    if let Some(items) = value.as_array() {
        if let Some(max) = schema["maxItems"].as_u64() {
            if items.len() as u64 > max {
                misses.push(format!("{at}: more than {max} items"));
            }
        }
        for (i, item) in items.iter().enumerate() {
            misses.extend(schema_misses(
                &schema["items"],
                root,
                item,
                &format!("{at}[{i}]"),
            ));
        }
    }
    misses
}
