//! The real `hwtrace` binary as a process of its own: an account created through its command
//! line, and `serve` on a free port of 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_hwtrace");

/// `hwtrace admin create-user` on `db`, the password on standard input; panics unless it
/// succeeds.
pub fn create_user(db: &Path, username: &str, password: &str) {
    let mut create = Command::new(BIN)
        .args([
            "admin",
            "create-user",
            "--db",
            db.to_str().unwrap(),
            "--username",
            username,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(create.stdin.take().unwrap(), "{password}").unwrap();
    assert!(create.wait().unwrap().success(), "create-user {username}");
}

/// Starts `hwtrace serve` on `db` (its log output dropped unless `configure` says otherwise)
/// and answers the process and its base URL once it has printed its address.
pub fn serve(db: &Path, configure: impl FnOnce(&mut Command)) -> (Child, String) {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    configure(&mut command);
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("serve printed its address (did it refuse to start?)")
            .unwrap();
        if let Some(rest) = line.strip_prefix("hwtrace listening on ") {
            break rest.split_whitespace().next().unwrap().trim_end_matches('/').to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, base)
}
