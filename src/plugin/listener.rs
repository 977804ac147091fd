//! Where the plugin listens: a private Unix socket (removed on exit), or loopback TCP within
//! Terraform's port range where Unix sockets are unavailable. Also the IO type tonic serves.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};

/// A bound listener and the address announced in the handshake.
pub enum Listener {
    Unix {
        listener: UnixListener,
        /// Removes the socket and its private directory when dropped.
        guard: SocketGuard,
    },
    Tcp(TcpListener),
}

/// Deletes the socket file and its directory on drop, so no stale socket outlives the process.
pub struct SocketGuard {
    dir: PathBuf,
    path: PathBuf,
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

impl Listener {
    /// Binds a Unix socket inside a fresh owner-only directory under `base` (the temp dir when
    /// `None`), and makes the socket itself mode 0600. The directory closes the window between
    /// bind and chmod during which another user could connect.
    pub fn bind_unix(base: Option<&Path>) -> io::Result<Listener> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let base = base
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let mut nonce = [0u8; 6];
        getrandom::fill(&mut nonce).map_err(|e| io::Error::other(e.to_string()))?;
        let suffix: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let dir = base.join(format!("tf-alicloud-{}-{suffix}", std::process::id()));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        let path = dir.join("plugin.sock");
        let guard = SocketGuard {
            dir,
            path: path.clone(),
        };
        let listener = UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(Listener::Unix { listener, guard })
    }

    /// Binds 127.0.0.1 on the first free port in `min..=max`.
    pub async fn bind_tcp(min: u16, max: u16) -> io::Result<Listener> {
        let mut last = io::Error::new(io::ErrorKind::AddrNotAvailable, "empty port range");
        for port in min..=max {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => return Ok(Listener::Tcp(l)),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Unix socket first, TCP as the fallback, as go-plugin does.
    pub async fn bind(unix_dir: Option<&Path>, min: u16, max: u16) -> io::Result<Listener> {
        match Listener::bind_unix(unix_dir) {
            Ok(l) => Ok(l),
            Err(unix_err) => {
                tracing::warn!(error = %unix_err, "unix socket unavailable, falling back to TCP");
                Listener::bind_tcp(min, max).await
            }
        }
    }

    /// The (network, address) pair of the handshake line.
    pub fn announce(&self) -> (&'static str, String) {
        match self {
            Listener::Unix { guard, .. } => ("unix", guard.path.display().to_string()),
            Listener::Tcp(l) => (
                "tcp",
                l.local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|_| "127.0.0.1:0".to_string()),
            ),
        }
    }

    /// The socket path, for Unix listeners.
    pub fn socket_path(&self) -> Option<&Path> {
        match self {
            Listener::Unix { guard, .. } => Some(&guard.path),
            Listener::Tcp(_) => None,
        }
    }

    /// Accepts the next raw connection.
    pub async fn accept(&self) -> io::Result<Conn> {
        match self {
            Listener::Unix { listener, .. } => Ok(Conn::new(listener.accept().await?.0)),
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok(Conn::new(s))
            }
        }
    }
}

/// Anything a connection can be: plain or TLS, Unix or TCP.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// One connection handed to tonic. Boxed so plain/TLS and Unix/TCP share one type.
pub struct Conn(Pin<Box<dyn Io>>);

impl Conn {
    pub fn new(io: impl Io) -> Conn {
        Conn(Box::pin(io))
    }
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.as_mut().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// The socket is owner-only and vanishes (with its directory) when the listener drops.
    #[tokio::test]
    async fn unix_socket_private_and_removed() {
        let base = std::env::temp_dir();
        let l = Listener::bind_unix(Some(&base)).unwrap();
        let path = l.socket_path().unwrap().to_path_buf();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(l.announce(), ("unix", path.display().to_string()));
        drop(l);
        assert!(!path.exists());
        assert!(!path.parent().unwrap().exists());
    }

    /// The TCP fallback binds loopback inside the given range.
    #[tokio::test]
    async fn tcp_in_range() {
        let l = Listener::bind_tcp(20000, 20100).await.unwrap();
        let (net, addr) = l.announce();
        assert_eq!(net, "tcp");
        let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
        assert!((20000..=20100).contains(&port));
        assert!(addr.starts_with("127.0.0.1:"));
    }
}
