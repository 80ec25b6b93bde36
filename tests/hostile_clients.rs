//! Regression (issue 12, points 3 and 4): clients that send too much, too slowly or nothing.
//! An oversize body was cut by closing the connection before any answer, so the client never
//! read why; slowloris and idle keep-alive connections stayed open for good, and there was no
//! limit on connections. These talk to the real service over raw TCP where reqwest would hide
//! what happens on the wire.

mod common;

use std::time::Duration;

use common::{spawn_app, start_with, TestApp};
use hwtrace::config::Config;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpStream;

/// Waits at most this long for anything the service should do at once or after a test's short
/// timeouts; a hang fails the test instead of blocking it.
const PATIENCE: Duration = Duration::from_secs(20);

/// The service on a fresh database with the given connection settings.
async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::with_db(dir.path().join("hwtrace.db"));
    adjust(&mut config);
    start_with(config, dir).await
}

/// Writes all of `buf` (tokio's `io-util` is not among the service's features).
async fn write_all(conn: &TcpStream, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        conn.writable().await?;
        match conn.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads what is there, waiting for something: 0 at the end of the stream.
async fn read(conn: &TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        conn.readable().await?;
        match conn.try_read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => return other,
        }
    }
}

/// Reads what the service sends until it closes the connection (or resets it); answers the
/// bytes read and whether the end was a reset.
async fn read_to_close(conn: &TcpStream) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(PATIENCE, read(conn, &mut buf)).await {
            Err(_) => panic!("the service neither answered nor closed within {PATIENCE:?}: {got:?}"),
            Ok(Ok(0)) => return (got, false),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(_)) => return (got, true),
        }
    }
}

/// The status and JSON body of a raw HTTP/1.1 answer.
fn parse_answer(raw: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer: {text}"));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(
        head.to_ascii_lowercase().contains("content-type: application/json"),
        "{head}"
    );
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

fn assert_too_large(status: u16, body: &Value, limit: usize) {
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"], "body_too_large", "{body}");
    assert!(body["message"].as_str().unwrap().contains(&limit.to_string()), "{body}");
    assert!(
        body["message_zh"].as_str().unwrap().contains(&limit.to_string()),
        "{body}"
    );
}

/// POSTs `body` (JSON content type) over raw TCP, all of it before reading the answer.
async fn send_then_read(app: &TestApp, path: &str, body: &[u8], chunked: bool) -> (u16, Value) {
    let conn = TcpStream::connect(app.addr).await.unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{framing}\r\n\r\n");
    let cut = |e: std::io::Error| panic!("the service cut the connection while the body was sent: {e}");
    write_all(&conn, head.as_bytes()).await.unwrap_or_else(cut);
    for chunk in body.chunks(64 * 1024) {
        if chunked {
            write_all(&conn, format!("{:x}\r\n", chunk.len()).as_bytes())
                .await
                .unwrap_or_else(cut);
        }
        write_all(&conn, chunk).await.unwrap_or_else(cut);
        if chunked {
            write_all(&conn, b"\r\n").await.unwrap_or_else(cut);
        }
    }
    if chunked {
        write_all(&conn, b"0\r\n\r\n").await.unwrap_or_else(cut);
    }
    let (raw, reset) = read_to_close(&conn).await;
    assert!(!reset, "the connection was reset");
    parse_answer(&raw)
}

/// Oversize bodies, with a Content-Length and chunked without one, on an ordinary endpoint and
/// on the batch endpoint: the client reads a `413` naming the limit in bytes, in both
/// languages, where it used to get a reset connection.
#[tokio::test]
async fn an_oversize_body_is_answered_413_with_its_limit_and_the_client_reads_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    const MIB: usize = 1024 * 1024;

    // reqwest, as any client, sends the whole body before it reads the answer.
    for (path, limit, size) in [
        ("/api/v1/enterprises", MIB, 24 * MIB),
        ("/api/v1/events/batch", 32 * MIB, 40 * MIB),
    ] {
        let rb = admin
            .request(reqwest::Method::POST, path)
            .header("content-type", "application/json")
            .body(vec![b' '; size]);
        let resp = rb.send().await.unwrap_or_else(|e| panic!("{path}: no answer: {e:?}"));
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        assert_too_large(status, &body, limit);
    }
    // A batch over the ordinary limit but within its own is read (and refused for its content).
    let (s, body) = admin
        .post_raw("/api/v1/events/batch", "application/json", vec![b' '; 2 * MIB])
        .await;
    assert!(
        s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
        "{s} {body}"
    );

    // Over raw TCP, a client that sends its whole body before it reads (as curl does): with a
    // Content-Length, and chunked without one, where the limit is found while reading.
    let body = vec![b' '; 8 * MIB];
    for chunked in [false, true] {
        let (status, answer) = send_then_read(&app, "/api/v1/enterprises", &body, chunked).await;
        assert_too_large(status, &answer, MIB);
    }

    // A client that waits for `100 Continue` is told at once, and sends nothing.
    let conn = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/enterprises HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        64 * MIB
    );
    write_all(&conn, head.as_bytes()).await.unwrap();
    let (raw, _) = read_to_close(&conn).await;
    let (status, body) = parse_answer(&raw);
    assert_too_large(status, &body, MIB);
}

/// A body that stops arriving is answered `408 body_timeout` after the idle timeout, not
/// waited for forever.
#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408() {
    let app = spawn_with(|c| c.idle_timeout = Duration::from_secs(1)).await;
    let conn = TcpStream::connect(app.addr).await.unwrap();
    write_all(
        &conn,
        b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"username\":",
    )
    .await
    .unwrap();
    let (raw, _) = read_to_close(&conn).await;
    let (status, body) = parse_answer(&raw);
    assert_eq!((status, body["error"].as_str()), (408, Some("body_timeout")), "{body}");
}

/// What a connection does within `PATIENCE` while the client trickles a header byte every
/// 200 ms: `true` if the service closed it.
async fn closed_while_trickling(conn: &TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        tokio::select! {
            r = read(conn, &mut buf) => match r {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            },
            () = tokio::time::sleep(Duration::from_millis(200)) => {
                if write_all(conn, b"x").await.is_err() {
                    return true;
                }
            }
        }
    }
    false
}

/// Slowloris: clients that send a request's headers a byte at a time, or say nothing at all,
/// are closed after the header read timeout (1 s here); meanwhile others are served.
#[tokio::test]
async fn slowloris_connections_are_closed_after_the_header_read_timeout() {
    let app = spawn_with(|c| {
        c.header_read_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(60);
    })
    .await;
    let addr = app.addr;
    let slow: Vec<_> = (0..20)
        .map(|_| {
            tokio::spawn(async move {
                let conn = TcpStream::connect(addr).await.unwrap();
                write_all(&conn, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .await
                    .unwrap();
                closed_while_trickling(&conn).await
            })
        })
        .collect();
    let silent = TcpStream::connect(app.addr).await.unwrap();
    let (_, body) = app.anonymous().get("/api/v1/health").await;
    assert_eq!(body["status"], "ok", "{body}");
    for client in slow {
        assert!(client.await.unwrap(), "a slowloris connection stayed open");
    }
    // Says nothing: closed as well (`read_to_close` fails the test otherwise).
    read_to_close(&silent).await;
}

/// Reads one whole answer (headers and a Content-Length body) off a kept-alive connection.
async fn read_answer(conn: &TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .map_or(0, |n| n.trim().parse().unwrap());
            if body.len() >= length {
                return text;
            }
        }
        let n = tokio::time::timeout(PATIENCE, read(conn, &mut buf))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(n > 0, "closed before the answer: {text}");
        got.extend_from_slice(&buf[..n]);
    }
}

/// A keep-alive connection is reused while requests come, and closed once it has been idle
/// for the idle timeout (1 s here).
#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let app = spawn_with(|c| {
        c.header_read_timeout = Duration::from_secs(60);
        c.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let conn = TcpStream::connect(app.addr).await.unwrap();
    for _ in 0..3 {
        write_all(&conn, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let answer = read_answer(&conn).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (rest, _) = read_to_close(&conn).await;
    assert!(rest.is_empty(), "{rest:?}");
}

/// With a limit of two connections, a third waits in the listen queue, unanswered, until one
/// of the two closes; then it is served.
#[tokio::test]
async fn connections_beyond_the_limit_wait_until_others_close() {
    let app = spawn_with(|c| {
        c.max_connections = 2;
        c.header_read_timeout = Duration::from_secs(60);
        c.idle_timeout = Duration::from_secs(60);
    })
    .await;
    let first = TcpStream::connect(app.addr).await.unwrap();
    let second = TcpStream::connect(app.addr).await.unwrap();
    write_all(&second, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(read_answer(&second).await.starts_with("HTTP/1.1 200"));

    let third = TcpStream::connect(app.addr).await.unwrap();
    write_all(&third, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(1500), read(&third, &mut buf)).await;
    assert!(
        early.is_err(),
        "a third connection was served beyond the limit: {early:?}"
    );

    drop(first);
    assert!(read_answer(&third).await.starts_with("HTTP/1.1 200"));
    drop(second);
    app.stop().await;
}
