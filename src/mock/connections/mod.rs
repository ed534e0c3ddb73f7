//! How both mock servers take connections: an accept loop with a bound on
//! connections at once ([`accept`]), and for each connection the TLS handshake
//! under a deadline, HTTP/1.1 (HTTP/2 only when configured) with a header-read
//! deadline counted from the request's first byte ([`head_timer`]), and an idle
//! deadline on a connection that moves no byte ([`activity`]) ([`connection`]).
//! [`fd_budget`] keeps the connection bound within the process's `ulimit -n`.
//! So idle, slow or hostile clients cannot hold the mock's sockets for ever.

pub mod accept;
pub mod activity;
pub mod connection;
pub mod fd_budget;
pub mod head_timer;
pub mod limits;

pub use accept::serve;
pub use limits::Limits;
