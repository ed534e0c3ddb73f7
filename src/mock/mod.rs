//! The embedded mock Confluence (see emulator.md). Never imports `run`, `expect`
//! or `report`: it stands alone so `tollgate mock` can serve real clients.
//! (Interface placeholder until the emulator branch lands.)

use crate::scenario::mock_config::MockConfig;

pub struct RunningMock {
    base_url: String,
}

impl RunningMock {
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub async fn shutdown(self) {}
}

pub async fn start(_config: &MockConfig) -> std::io::Result<RunningMock> {
    Err(std::io::Error::other("the embedded mock is not built yet"))
}

pub async fn start_on(
    _config: &MockConfig,
    _addr: std::net::SocketAddr,
) -> std::io::Result<RunningMock> {
    Err(std::io::Error::other("the embedded mock is not built yet"))
}
