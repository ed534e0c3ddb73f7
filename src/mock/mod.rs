//! The embedded mock Confluence (see emulator.md). Never imports `run`, `expect`
//! or `report`: it stands alone so `tollgate mock` can serve real clients.
