//! Servers the network tests start on the loopback address: one that answers (keeping
//! connections alive, counting them), one that never answers, one whose body never ends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// A server on the loopback address, each connection handled on a thread of its own.
pub struct Server {
    pub port: u16,
    pub connections: Arc<AtomicUsize>,
}

impl Server {
    pub fn start(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let handle = Arc::new(handle);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counted.fetch_add(1, Ordering::SeqCst);
                let handle = handle.clone();
                thread::spawn(move || handle(stream));
            }
        });
        Server { port, connections }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A request as a server reads it.
pub struct Incoming {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Incoming {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }
}

pub fn read_request(reader: &mut impl BufRead) -> Option<Incoming> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_string(), words.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut incoming = Incoming {
        method,
        path,
        headers,
        body: String::new(),
    };
    let length: usize = incoming.header("content-length").parse().unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    incoming.body = String::from_utf8(body).ok()?;
    Some(incoming)
}

/// A tiny HTTP/1.1 server that keeps connections alive: `/hello`, `/missing` (404), `/json`,
/// `/echo` (what it was sent), `/redirect` (to `/hello`), `/away/PORT` (to another server's
/// `/hello`) and `/delay/MS` (answers after MS milliseconds).
pub fn responder() -> Server {
    Server::start(|stream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut stream = stream;
        while let Some(request) = read_request(&mut reader) {
            let mut headers = vec![("Content-Type", "text/plain".to_string())];
            let (status, body) = match request.path.as_str() {
                "/hello" => ("200 OK", "hello".to_string()),
                "/json" => {
                    headers[0].1 = "application/json".into();
                    ("200 OK", r#"{"a": [1, 2], "ok": true}"#.to_string())
                }
                "/echo" => {
                    headers.push(("X-Multi", "a".into()));
                    headers.push(("X-Multi", "b".into()));
                    let seen = format!(
                        "{} {} [{}] [{}]",
                        request.method,
                        request.header("x-test"),
                        request.header("content-type"),
                        request.body
                    );
                    ("200 OK", seen)
                }
                "/redirect" => {
                    headers.push(("Location", "/hello".into()));
                    ("302 Found", String::new())
                }
                path if path.starts_with("/away/") => {
                    let port = &path["/away/".len()..];
                    headers.push(("Location", format!("http://127.0.0.1:{port}/hello")));
                    ("302 Found", String::new())
                }
                path if path.starts_with("/delay/") => {
                    let ms = path["/delay/".len()..].parse().unwrap();
                    thread::sleep(Duration::from_millis(ms));
                    ("200 OK", "late".to_string())
                }
                _ => ("404 Not Found", "no such page".to_string()),
            };
            let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
            for (name, value) in headers {
                head += &format!("{name}: {value}\r\n");
            }
            let written = stream.write_all(format!("{head}\r\n{body}").as_bytes());
            if written.is_err() {
                return;
            }
        }
    })
}

/// A server that takes connections and never answers.
pub fn silent() -> Server {
    silent_noting(Arc::new(AtomicBool::new(false)))
}

/// [`silent`], raising `hung_up` when a client closes its connection.
pub fn silent_noting(hung_up: Arc<AtomicBool>) -> Server {
    Server::start(move |mut stream| {
        let mut buf = [0; 1024];
        while stream.read(&mut buf).is_ok_and(|n| n > 0) {}
        hung_up.store(true, Ordering::SeqCst);
    })
}

/// A server whose answer never ends (or, at `/declared`, says first that it is 1 TiB long);
/// `hung_up` is raised when the client closed the connection.
pub fn endless(hung_up: Arc<AtomicBool>) -> Server {
    Server::start(move |stream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut stream = stream;
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        let length = match request.path.as_str() {
            "/declared" => "Content-Length: 1099511627776\r\n",
            _ => "",
        };
        let head = format!("HTTP/1.1 200 OK\r\n{length}Content-Type: text/plain\r\n\r\n");
        let piece = vec![b'x'; 64 * 1024];
        if stream.write_all(head.as_bytes()).is_ok() {
            while stream.write_all(&piece).is_ok() {}
        }
        hung_up.store(true, Ordering::SeqCst);
    })
}

/// A port nobody listens on (as far as this test can tell: it was just freed).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
