//! A client of Litestream's control socket (Litestream 0.5): HTTP/1.1 over
//! a unix socket, one request per connection (`Connection: close`), JSON
//! in and out. Blocking on purpose: it is called on a database's own
//! threads (the syncer, the worker, opening a tenant), never on the async
//! runtime's.
//!
//! The endpoints used, as Litestream's `server.go` serves them:
//! `POST /register {"path","replica_url"}` → `{"status":"registered"|"already_registered"}`;
//! `POST /unregister {"path","timeout"}`;
//! `POST /sync {"path","wait":true,"timeout":secs}` → `{"status":"synced"|"no_change",…}`
//! (404 for a database Litestream does not know, 409 for one not open,
//! 500 for anything else, a time-out included).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::ReplicationError;

/// How long registering, unregistering and the other short requests may
/// take before the socket gives up.
const SHORT_REQUEST: Duration = Duration::from_secs(10);

/// Largest answer read from the socket (a `/list` of ten thousand
/// databases fits many times over).
const MAX_ANSWER_BYTES: usize = 16 << 20;

/// One Litestream process, reached through its control socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Litestream {
    socket: PathBuf,
}

#[derive(Deserialize)]
struct StatusAnswer {
    status: String,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
}

impl Litestream {
    /// The Litestream listening on `socket`.
    pub fn new(socket: PathBuf) -> Self {
        Self { socket }
    }

    /// Asks Litestream to replicate `db` to `replica_url`. Idempotent:
    /// a database Litestream already replicates stays as it is (also if it
    /// goes to another replica URL: unregister it first to change that).
    pub fn register(&self, db: &Path, replica_url: &str) -> Result<(), ReplicationError> {
        match self.post_register(db, replica_url)?.as_str() {
            "registered" | "already_registered" => Ok(()),
            other => Err(ReplicationError::Protocol {
                request: "/register",
                why: format!("unexpected status {other:?}"),
            }),
        }
    }

    /// Registers `db` that Litestream must not know yet: a Litestream that
    /// answers `already_registered` still holds an earlier registration of
    /// that path (an earlier copy of the database, perhaps another replica
    /// URL) and keeps it, so that is an error here.
    pub fn register_new(&self, db: &Path, replica_url: &str) -> Result<(), ReplicationError> {
        match self.post_register(db, replica_url)?.as_str() {
            "registered" => Ok(()),
            other => Err(ReplicationError::Protocol {
                request: "/register",
                why: format!("expected a new registration, got {other:?}"),
            }),
        }
    }

    /// `POST /register`; Litestream's status.
    fn post_register(&self, db: &Path, replica_url: &str) -> Result<String, ReplicationError> {
        let path = absolute(db)?;
        let body = serde_json::json!({ "path": path, "replica_url": replica_url });
        let answer: StatusAnswer = self.post("/register", &body, SHORT_REQUEST)?;
        Ok(answer.status)
    }

    /// Stops replicating `db` (after Litestream's final sync of it).
    /// Unknown databases are fine.
    pub fn unregister(&self, db: &Path) -> Result<(), ReplicationError> {
        let path = absolute(db)?;
        let body = serde_json::json!({ "path": path, "timeout": SHORT_REQUEST.as_secs() });
        let _: StatusAnswer = self.post("/unregister", &body, SHORT_REQUEST + SHORT_REQUEST)?;
        Ok(())
    }

    /// Makes Litestream copy every committed transaction of `db` to the
    /// replica and waits until the object store has it, at most `timeout`.
    /// `Ok` only once every transaction committed before the call is in the
    /// replica.
    pub fn sync_wait(&self, db: &Path, timeout: Duration) -> Result<(), ReplicationError> {
        let path = absolute(db)?;
        // Litestream counts whole seconds; our own deadline is the exact one.
        let seconds = timeout.as_millis().div_ceil(1000).max(1);
        let body = serde_json::json!({ "path": path, "wait": true, "timeout": seconds });
        let answer: StatusAnswer = self.post("/sync", &body, timeout)?;
        // The 200 is the confirmation; its `replicated_txid` may trail its
        // `txid`: Litestream reads the database's position again after its
        // replica sync, and commits made meanwhile (the worker goes on
        // while the syncer waits) are counted there. What was committed
        // before this request was in the WAL that the sync shipped.
        match answer.status.as_str() {
            "synced" | "no_change" => Ok(()),
            other => Err(ReplicationError::Protocol {
                request: "/sync",
                why: format!("unexpected status {other:?}"),
            }),
        }
    }

    /// Sends one request and reads the whole answer within `timeout`.
    fn post<T: serde::de::DeserializeOwned>(
        &self,
        request: &'static str,
        body: &serde_json::Value,
        timeout: Duration,
    ) -> Result<T, ReplicationError> {
        let deadline = Instant::now() + timeout;
        let body = body.to_string();
        let socket_error = |source| ReplicationError::Socket {
            socket: self.socket.clone(),
            source,
        };
        let mut stream = UnixStream::connect(&self.socket).map_err(socket_error)?;
        stream
            .set_write_timeout(Some(timeout))
            .map_err(socket_error)?;
        let head = format!(
            "POST {request} HTTP/1.1\r\nHost: litestream\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body.as_bytes()))
            .map_err(socket_error)?;
        let raw = read_until_closed(&mut stream, deadline).map_err(socket_error)?;
        let (status, body) = parse_response(&raw).map_err(|why| ReplicationError::Protocol {
            request,
            why: why.into(),
        })?;
        if status != 200 {
            let message = serde_json::from_slice::<ErrorAnswer>(&body)
                .map(|e| e.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).trim().to_owned());
            return Err(ReplicationError::Refused {
                request,
                status,
                message,
            });
        }
        serde_json::from_slice(&body).map_err(|e| ReplicationError::Protocol {
            request,
            why: e.to_string(),
        })
    }
}

/// Litestream names a database by the path it was registered with, and
/// runs in another working directory: always send absolute paths.
fn absolute(db: &Path) -> Result<PathBuf, ReplicationError> {
    std::path::absolute(db).map_err(|source| ReplicationError::Path {
        path: db.to_owned(),
        source,
    })
}

/// Reads until the peer closes the connection, or fails when `deadline`
/// passes first (a stopped Litestream accepts and then says nothing).
fn read_until_closed(stream: &mut UnixStream, deadline: Instant) -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::with_capacity(512);
    let mut buffer = [0u8; 8192];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no complete answer in time",
            ));
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buffer) {
            Ok(0) => return Ok(raw),
            Ok(n) => {
                raw.extend_from_slice(&buffer[..n]);
                if raw.len() > MAX_ANSWER_BYTES {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "answer too large",
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "no complete answer in time",
                ))
            }
            Err(e) => return Err(e),
        }
    }
}

/// Splits an HTTP/1.1 response read to its end into the status and the
/// body (`Content-Length`, chunked, or up to the end).
fn parse_response(raw: &[u8]) -> Result<(u16, Vec<u8>), &'static str> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of the header")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| "header is not text")?;
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let mut parts = status_line.split(' ');
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err("not an HTTP/1 answer");
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("no status code")?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err("malformed header line");
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| "bad content-length")?);
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(length) = length {
        rest.get(..length)
            .ok_or("body shorter than announced")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok((status, body))
}

/// Decodes a chunked body.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut body = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&rest[..end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_with_length_chunks_or_neither_are_read() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n{}\n\nextra";
        assert_eq!(parse_response(plain), Ok((200, b"{}\n\n".to_vec())));
        let chunked =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n2;x=y\r\n\"}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Ok((404, b"{\"a\"}".to_vec())));
        let to_end = b"HTTP/1.0 500 Internal Server Error\r\n\r\nboom";
        assert_eq!(parse_response(to_end), Ok((500, b"boom".to_vec())));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}").is_err());
        assert!(parse_response(b"SSH-2.0\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2").is_err());
    }

    /// A stand-in that accepts and never answers: `sync_wait` gives up at
    /// its deadline, as with a stopped Litestream.
    #[test]
    fn a_silent_socket_times_out_at_the_deadline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("silent.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
        let litestream = Litestream::new(socket);
        let started = Instant::now();
        let err = litestream
            .sync_wait(&dir.path().join("t.sqlite"), Duration::from_millis(300))
            .expect_err("no answer");
        let took = started.elapsed();
        assert!(matches!(err, ReplicationError::Socket { .. }), "{err}");
        assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(5));
        drop(listener);
    }
}
