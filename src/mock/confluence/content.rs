//! The in-memory content: spaces, pages and their attachments. Plain data, no
//! HTTP; `rest.rs` and `pages.rs` render it. Capped at [`MAX_PAGES`].

use std::collections::BTreeMap;

use crate::scenario::mock_config::ContentPreset;

/// At most this many pages; a create beyond it is refused, so the store stays bounded.
pub const MAX_PAGES: usize = 10_000;
/// At most this many attachments a page; only their metadata is kept.
pub const MAX_ATTACHMENTS: usize = 100;

#[derive(Clone, Debug)]
pub struct Space {
    pub id: u64,
    pub key: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Why an update, delete or upload was refused; `rest.rs` maps each to a status.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChangeError {
    #[error("No content found with id : ContentId{{id={0}}}")]
    NotFound(u64),
    /// 409: the update must carry the current version plus one.
    #[error("Version must be incremented on update. Current version is: {0}")]
    Version(u32),
    #[error("Page title must not be empty")]
    EmptyTitle,
    #[error(
        "A page with this title already exists: A page already exists with the title {0} in this space"
    )]
    DuplicateTitle(String),
    #[error("Attachment limit of {MAX_ATTACHMENTS} reached for this page")]
    TooManyAttachments,
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

    /// `PUT /rest/api/content/{id}`: a new title and body at `version` (the
    /// current one plus one).
    pub fn update_page(
        &mut self,
        id: u64,
        version: u32,
        title: Option<&str>,
        body: Option<&str>,
    ) -> Result<&Page, ChangeError> {
        let page = self.pages.get(&id).ok_or(ChangeError::NotFound(id))?;
        if Some(version) != page.version.checked_add(1) {
            return Err(ChangeError::Version(page.version));
        }
        if let Some(title) = title {
            if title.trim().is_empty() {
                return Err(ChangeError::EmptyTitle);
            }
            let taken = self
                .page_by_title(&page.space_key, title)
                .is_some_and(|other| other.id != id);
            if taken {
                return Err(ChangeError::DuplicateTitle(title.to_owned()));
            }
        }
        let page = self.pages.get_mut(&id).ok_or(ChangeError::NotFound(id))?;
        page.version = version;
        if let Some(title) = title {
            title.clone_into(&mut page.title);
        }
        if let Some(body) = body {
            body.clone_into(&mut page.body);
        }
        Ok(page)
    }

    /// `DELETE /rest/api/content/{id}`.
    pub fn delete_page(&mut self, id: u64) -> Result<(), ChangeError> {
        self.pages
            .remove(&id)
            .map(|_| ())
            .ok_or(ChangeError::NotFound(id))
    }

    /// An uploaded file's metadata on page `id` (a new attachment each time).
    pub fn add_attachment(
        &mut self,
        id: u64,
        title: &str,
        media_type: &str,
        size: u64,
    ) -> Result<Attachment, ChangeError> {
        let next = self.next_id;
        let page = self.pages.get_mut(&id).ok_or(ChangeError::NotFound(id))?;
        if page.attachments.len() >= MAX_ATTACHMENTS {
            return Err(ChangeError::TooManyAttachments);
        }
        let attachment = Attachment {
            id: next,
            title: title.to_owned(),
            media_type: media_type.to_owned(),
            size,
        };
        page.attachments.push(attachment.clone());
        self.next_id += 1;
        Ok(attachment)
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

    #[test]
    fn update_delete_and_attach() {
        let mut store = ContentStore::new(ContentPreset::Default);
        assert_eq!(
            store.update_page(65_537, 1, None, None).unwrap_err(),
            ChangeError::Version(1)
        );
        let page = store
            .update_page(65_537, 2, Some("Start"), Some("x"))
            .unwrap();
        assert_eq!((page.version, page.title.as_str()), (2, "Start"));
        let other = store.create_page("TST", "Other", "").unwrap().id;
        assert_eq!(
            store
                .update_page(other, 2, Some("Start"), None)
                .unwrap_err(),
            ChangeError::DuplicateTitle("Start".into())
        );
        let a = store
            .add_attachment(other, "a.txt", "text/plain", 3)
            .unwrap();
        assert_eq!(store.page(other).unwrap().attachments, [a]);
        for n in 1..MAX_ATTACHMENTS {
            store
                .add_attachment(other, &n.to_string(), "x/y", 0)
                .unwrap();
        }
        assert_eq!(
            store.add_attachment(other, "z", "x/y", 0).unwrap_err(),
            ChangeError::TooManyAttachments
        );
        store.delete_page(other).unwrap();
        assert_eq!(
            store.delete_page(other).unwrap_err(),
            ChangeError::NotFound(other)
        );
        assert_eq!(
            store.add_attachment(other, "a", "x/y", 0).unwrap_err(),
            ChangeError::NotFound(other)
        );
    }
}
