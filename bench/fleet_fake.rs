//! Many fake supervisords in one process, for the fleet benchmark (bench/fleet_scale.sh):
//! N loopback ports, each answering XML-RPC from replies recorded from a real daemon,
//! after a delay that stands for the network and the daemon's work, so that the floor
//! of a fan-out is that delay and not the daemons' CPU. The first F ports are frozen:
//! they accept connections and read requests, and never answer (a SIGSTOPped daemon).
//!
//!   fleet_fake REPLIES_DIR PORTS_FILE N DELAY_MS [FROZEN]
//!
//! REPLIES_DIR holds one file per method, `supervisor.getAllProcessInfo.xml` say, each
//! the `<value>...</value>` the daemon answered; a call is answered with its method's
//! value, a `system.multicall` with the array of each call's value (as supervisord
//! does: not wrapped), an unknown method with an UNKNOWN_METHOD fault. The ports are
//! written to PORTS_FILE, one a line, once all listen; it runs until killed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The recorded value of each method, and the delay before each answer.
struct Replies {
    values: HashMap<String, String>,
    delay: Duration,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: fleet_fake REPLIES_DIR PORTS_FILE N DELAY_MS [FROZEN]");
        std::process::exit(2);
    }
    let n: usize = args[3].parse().expect("N");
    let delay = Duration::from_millis(args[4].parse().expect("DELAY_MS"));
    let frozen: usize = args.get(5).map_or(0, |f| f.parse().expect("FROZEN"));
    let mut values = HashMap::new();
    for e in std::fs::read_dir(&args[1]).expect("REPLIES_DIR") {
        let path = e.expect("entry").path();
        if let Some(method) = path
            .file_name()
            .and_then(|f| f.to_str())
            .and_then(|f| f.strip_suffix(".xml"))
        {
            values.insert(method.to_owned(), std::fs::read_to_string(&path).expect("a reply"));
        }
    }
    let replies = Arc::new(Replies { values, delay });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let mut ports = String::new();
        for i in 0..n {
            let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            ports.push_str(&format!("{}\n", l.local_addr().expect("addr").port()));
            let replies = replies.clone();
            let is_frozen = i < frozen;
            tokio::spawn(async move {
                while let Ok((s, _)) = l.accept().await {
                    let _ = s.set_nodelay(true);
                    tokio::spawn(serve(s, replies.clone(), is_frozen));
                }
            });
        }
        let tmp = format!("{}.tmp", args[2]);
        std::fs::write(&tmp, ports).expect("write the ports");
        std::fs::rename(&tmp, &args[2]).expect("rename the ports file");
        std::future::pending::<()>().await;
    });
}

/// Answers the requests of one connection until the client closes it.
async fn serve(mut s: TcpStream, replies: Arc<Replies>, frozen: bool) {
    let mut buf = Vec::with_capacity(4096);
    loop {
        let Some(body) = read_request(&mut s, &mut buf).await else {
            return;
        };
        if frozen {
            // Holds the connection, never answers.
            let mut sink = [0u8; 1024];
            while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
            return;
        }
        tokio::time::sleep(replies.delay).await;
        let xml = answer(&body, &replies.values);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
            xml.len()
        );
        if s.write_all(head.as_bytes()).await.is_err() || s.write_all(xml.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// One request's body (headers read up to their end, then Content-Length bytes);
/// `None` when the connection ends first.
async fn read_request(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 8192];
        let n = s.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < end + len {
        let mut chunk = [0u8; 8192];
        let n = s.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[end..end + len]).into_owned();
    buf.drain(..end + len);
    Some(body)
}

/// The method a request calls, then (a `system.multicall`) the method of each call in it.
fn methods(body: &str) -> Vec<&str> {
    let top = body
        .split("<methodName>")
        .nth(1)
        .and_then(|p| p.split("</methodName>").next());
    // Each call of a multicall: <member><name>methodName</name><value>[<string>]X...
    let inner = body.split("<name>methodName</name>").skip(1).filter_map(|p| {
        let v = p.split_once("<value>")?.1;
        let v = v.strip_prefix("<string>").unwrap_or(v);
        v.split('<').next()
    });
    top.into_iter().chain(inner).map(str::trim).collect()
}

/// The reply to `body`: the method it calls (each call of a multicall) answered with
/// its recorded value.
fn answer(body: &str, values: &HashMap<String, String>) -> String {
    let methods = methods(body);
    let value = |m: &str| {
        values.get(m).cloned().unwrap_or_else(|| {
            format!(
                "<value><struct><member><name>faultCode</name><value><int>1</int></value></member>\
                 <member><name>faultString</name><value><string>UNKNOWN_METHOD: {m}</string></value></member>\
                 </struct></value>"
            )
        })
    };
    let result = match methods.split_first() {
        Some((&"system.multicall", calls)) => {
            let inner: String = calls.iter().map(|m| value(m)).collect();
            format!("<value><array><data>{inner}</data></array></value>")
        }
        Some((m, _)) if values.contains_key(*m) => value(m),
        // A fault of its own, outside <params>.
        other => {
            let fault = value(other.map_or("?", |(m, _)| m));
            return format!("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n{fault}\n</fault>\n</methodResponse>\n");
        }
    };
    format!(
        "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n{result}\n</param>\n</params>\n</methodResponse>\n"
    )
}
