//! The in-memory content: spaces, pages and their attachments. Plain data, no
//! HTTP; `rest.rs` and `pages.rs` render it. Capped at [`MAX_PAGES`].

use std::collections::BTreeMap;

use crate::scenario::mock_config::ContentPreset;

/// At most this many pages; a create beyond it is refused, so the store stays bounded.
pub const MAX_PAGES: usize = 10_000;

#[derive(Clone, Debug)]
pub struct Space {
    pub id: u64,
    pub key: String,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct Attachment {
    pub id: u64,
    pub title: String,
    pub media_type: String,
    pub size: u64,
}

#[derive(Clone, Debug)]
pub struct Page {
    pub id: u64,
    pub space_key: String,
    pub title: String,
    /// Storage-format body.
    pub body: String,
    pub version: u32,
    pub attachments: Vec<Attachment>,
}

/// Why a create was refused; each maps to a 400 (or 403) in `rest.rs`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CreateError {
    #[error("No space with key : {0}")]
    NoSpace(String),
    #[error(
        "A page with this title already exists: A page already exists with the title {0} in this space"
    )]
    DuplicateTitle(String),
    #[error("Page title must not be empty")]
    EmptyTitle,
    #[error("Content limit of {MAX_PAGES} pages reached")]
    Full,
}

#[derive(Debug)]
pub struct ContentStore {
    spaces: Vec<Space>,
    pages: BTreeMap<u64, Page>,
    next_id: u64,
}

impl ContentStore {
    pub fn new(preset: ContentPreset) -> Self {
        let mut store = Self {
            spaces: Vec::new(),
            pages: BTreeMap::new(),
            next_id: 131_073,
        };
        if preset == ContentPreset::Default {
            store.spaces.push(Space {
                id: 98_305,
                key: "TST".into(),
                name: "Test Space".into(),
            });
            store.pages.insert(
                65_537,
                Page {
                    id: 65_537,
                    space_key: "TST".into(),
                    title: "Home".into(),
                    body: "<p>Welcome to the Test Space.</p>".into(),
                    version: 1,
                    attachments: vec![Attachment {
                        id: 65_538,
                        title: "report.txt".into(),
                        media_type: "text/plain".into(),
                        size: 12,
                    }],
                },
            );
        }
        store
    }

    pub fn spaces(&self) -> &[Space] {
        &self.spaces
    }

    pub fn space(&self, key: &str) -> Option<&Space> {
        self.spaces.iter().find(|s| s.key == key)
    }

    pub fn pages(&self) -> impl Iterator<Item = &Page> {
        self.pages.values()
    }

    pub fn page(&self, id: u64) -> Option<&Page> {
        self.pages.get(&id)
    }

    pub fn page_by_title(&self, space_key: &str, title: &str) -> Option<&Page> {
        self.pages
            .values()
            .find(|p| p.space_key == space_key && p.title == title)
    }

    /// Adds a page at version 1 and returns it.
    pub fn create_page(
        &mut self,
        space_key: &str,
        title: &str,
        body: &str,
    ) -> Result<&Page, CreateError> {
        if self.space(space_key).is_none() {
            return Err(CreateError::NoSpace(space_key.to_owned()));
        }
        if title.trim().is_empty() {
            return Err(CreateError::EmptyTitle);
        }
        if self.page_by_title(space_key, title).is_some() {
            return Err(CreateError::DuplicateTitle(title.to_owned()));
        }
        if self.pages.len() >= MAX_PAGES {
            return Err(CreateError::Full);
        }
        let id = self.next_id;
        self.next_id += 1;
        let page = Page {
            id,
            space_key: space_key.to_owned(),
            title: title.to_owned(),
            body: body.to_owned(),
            version: 1,
            attachments: Vec::new(),
        };
        Ok(self.pages.entry(id).or_insert(page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_content_and_create() {
        let mut store = ContentStore::new(ContentPreset::Default);
        assert_eq!(store.page(65_537).unwrap().title, "Home");
        assert_eq!(store.page(65_537).unwrap().attachments.len(), 1);
        assert_eq!(store.page_by_title("TST", "Home").unwrap().id, 65_537);
        let id = store.create_page("TST", "New", "<p>x</p>").unwrap().id;
        assert_eq!(store.page(id).unwrap().version, 1);
        assert_eq!(
            store.create_page("TST", "New", "").unwrap_err(),
            CreateError::DuplicateTitle("New".into())
        );
        assert_eq!(
            store.create_page("NOPE", "X", "").unwrap_err(),
            CreateError::NoSpace("NOPE".into())
        );
        assert!(ContentStore::new(ContentPreset::Empty).spaces().is_empty());
    }
}
