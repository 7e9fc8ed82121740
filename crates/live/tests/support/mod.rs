//! What the moto end-to-end tests share: finding the server, wiping it,
//! and credentials that can only ever reach it.

#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The moto endpoint, when a server answers.
pub fn endpoint() -> Result<String, String> {
    let url = match std::env::var("LANDFALL_MOTO_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => {
            let port_file = workspace_root().join("target/moto/port");
            let port = std::fs::read_to_string(&port_file).map_err(|_| {
                format!(
                    "no moto server: LANDFALL_MOTO_ENDPOINT is not set and `{}` does not exist; run `scripts/moto.sh start` (scripts/test.sh does)",
                    port_file.display()
                )
            })?;
            format!("http://127.0.0.1:{}", port.trim())
        }
    };
    let (host, port) = host_port(&url)?;
    TcpStream::connect((host.as_str(), port)).map_err(|e| {
        format!("no moto server answers at {url} ({e}); run `scripts/moto.sh start`")
    })?;
    Ok(url)
}

/// The endpoint, or `None` after a note when there is no server (a failure
/// with `CI=true`). Sets credentials only moto accepts.
pub fn endpoint_or_skip(test: &str) -> Option<String> {
    let url = match endpoint() {
        Ok(url) => url,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{why} (CI=true: the emulator test cannot be skipped)")
        }
        Err(why) => {
            eprintln!("note: skipping the moto end-to-end test {test}: {why}");
            return None;
        }
    };
    // Any credentials do for moto; never a real profile.
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::remove_var("AWS_SESSION_TOKEN");
    std::env::remove_var("AWS_PROFILE");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    Some(url)
}

pub fn host_port(url: &str) -> Result<(String, u16), String> {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or(rest);
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| format!("`{url}` has no port"))?;
    let port = port
        .parse()
        .map_err(|_| format!("`{url}` has no valid port"))?;
    Ok((host.trim_matches(['[', ']']).to_owned(), port))
}

/// `POST /moto-api/reset`: wipes every account, region and service.
pub fn reset(url: &str) {
    let (host, port) = host_port(url).unwrap();
    let mut stream = TcpStream::connect((host.as_str(), port)).expect("connect to moto");
    write!(
        stream,
        "POST /moto-api/reset HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "moto reset failed: {answer}"
    );
}
