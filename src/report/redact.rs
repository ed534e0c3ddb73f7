//! Placeholder until the reporters land: the real redactor replaces this file.

pub const REDACTED: &str = "[redacted]";

#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_secret(&mut self, value: impl Into<String>) {
        let value = value.into();
        if value.len() >= 3 {
            self.secrets.push(value);
        }
    }

    pub fn header(&self, name: &str, value: &str) -> String {
        match name.to_ascii_lowercase().as_str() {
            "authorization" | "proxy-authorization" | "cookie" | "set-cookie" => REDACTED.into(),
            _ => self.text(value),
        }
    }

    pub fn url(&self, url: &str) -> String {
        self.text(url)
    }

    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            out = out.replace(s, REDACTED);
        }
        out
    }
}
