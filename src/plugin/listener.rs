//! Where the plugin listens, as go-plugin does: a private Unix socket (removed on exit) on Unix,
//! loopback TCP within Terraform's port range on Windows. Never TCP on Unix: a TCP port is open to
//! every local user, a 0600 socket in a 0700 directory only to ours. Also the IO type tonic serves.

use std::io;
#[cfg(unix)]
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;

/// A bound listener and the address announced in the handshake.
pub enum Listener {
    #[cfg(unix)]
    Unix {
        listener: UnixListener,
        /// Removes the socket and its private directory when dropped.
        guard: SocketGuard,
    },
    /// Loopback TCP: the only kind on Windows; on Unix only for in-process tests of that path.
    Tcp(TcpListener),
}

/// go-plugin's defaults when Terraform sets no range.
pub const DEFAULT_PORT_RANGE: PortRange = PortRange {
    min: 10000,
    max: 25000,
};

/// Terraform's `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    pub min: u16,
    pub max: u16,
}

impl PortRange {
    /// Reads the range from the two variables' values (unset or empty: go-plugin's default). A
    /// value that is not a port, or a minimum above the maximum, is an error naming the variable,
    /// never a silent default: the caller would otherwise listen where Terraform does not expect.
    pub fn from_values(min: Option<&str>, max: Option<&str>) -> Result<PortRange, String> {
        fn parse(key: &str, value: Option<&str>, default: u16) -> Result<u16, String> {
            match value.map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) => match v.parse::<u16>() {
                    Ok(0) | Err(_) => Err(format!(
                        "{key} is {v:?}, which is not a TCP port. Unset it, or set it to a \
                         number from 1 to 65535 (Terraform sets 10000 and 25000)."
                    )),
                    Ok(p) => Ok(p),
                },
            }
        }
        let min = parse("PLUGIN_MIN_PORT", min, DEFAULT_PORT_RANGE.min)?;
        let max = parse("PLUGIN_MAX_PORT", max, DEFAULT_PORT_RANGE.max)?;
        if min > max {
            return Err(format!(
                "PLUGIN_MIN_PORT ({min}) is greater than PLUGIN_MAX_PORT ({max}). Set \
                 PLUGIN_MIN_PORT to at most PLUGIN_MAX_PORT, or unset both."
            ));
        }
        Ok(PortRange { min, max })
    }
}

/// Deletes the socket file and its directory on drop, so no stale socket outlives the process.
#[cfg(unix)]
pub struct SocketGuard {
    dir: PathBuf,
    path: PathBuf,
}

#[cfg(unix)]
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
    #[cfg(unix)]
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

    /// Binds 127.0.0.1 on the first free port in the range.
    pub async fn bind_tcp(range: PortRange) -> io::Result<Listener> {
        let mut last = io::Error::new(io::ErrorKind::AddrNotAvailable, "empty port range");
        for port in range.min..=range.max {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => return Ok(Listener::Tcp(l)),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The (network, address) pair of the handshake line.
    pub fn announce(&self) -> (&'static str, String) {
        match self {
            #[cfg(unix)]
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
    #[cfg(unix)]
    pub fn socket_path(&self) -> Option<&Path> {
        match self {
            Listener::Unix { guard, .. } => Some(&guard.path),
            Listener::Tcp(_) => None,
        }
    }

    /// Accepts the next raw connection.
    pub async fn accept(&self) -> io::Result<Conn> {
        match self {
            #[cfg(unix)]
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

    /// The socket is owner-only and vanishes (with its directory) when the listener drops.
    #[tokio::test]
    #[cfg(unix)]
    async fn unix_socket_private_and_removed() {
        use std::os::unix::fs::PermissionsExt;
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

    /// The TCP listener (Windows) binds loopback inside the given range.
    #[tokio::test]
    async fn tcp_in_range() {
        let l = Listener::bind_tcp(PortRange {
            min: 20000,
            max: 20100,
        })
        .await
        .unwrap();
        let (net, addr) = l.announce();
        assert_eq!(net, "tcp");
        let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
        assert!((20000..=20100).contains(&port));
        assert!(addr.starts_with("127.0.0.1:"));
    }
}

#[cfg(test)]
mod port_range_tests {
    use super::*;

    /// Unset or empty means go-plugin's 10000..=25000; valid values are taken as given.
    #[test]
    fn defaults_and_values() {
        assert_eq!(PortRange::from_values(None, None), Ok(DEFAULT_PORT_RANGE));
        assert_eq!(
            PortRange::from_values(Some(""), Some(" ")),
            Ok(DEFAULT_PORT_RANGE)
        );
        assert_eq!(
            PortRange::from_values(Some("20000"), Some("20001")),
            Ok(PortRange {
                min: 20000,
                max: 20001
            })
        );
    }

    /// A value that is no port, port 0, or min above max is an error naming the variable.
    #[test]
    fn bad_values_are_errors() {
        let e = PortRange::from_values(Some("ten"), None).unwrap_err();
        assert!(e.starts_with("PLUGIN_MIN_PORT is \"ten\""), "{e}");
        let e = PortRange::from_values(None, Some("70000")).unwrap_err();
        assert!(e.starts_with("PLUGIN_MAX_PORT is \"70000\""), "{e}");
        assert!(PortRange::from_values(Some("0"), None).is_err());
        let e = PortRange::from_values(Some("30000"), Some("20000")).unwrap_err();
        assert!(e.contains("greater than PLUGIN_MAX_PORT"), "{e}");
        assert!(!e.contains("  "), "{e}");
    }
}
