//! A small authoritative DNS server for dns-01 and for names http-01/tls-alpn-01 look up:
//! TXT, A and AAAA records set by the test, NXDOMAIN for every other name, over UDP and TCP
//! on one loopback port.

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

#[derive(Debug, Default, Clone)]
struct Records {
    txt: Vec<String>,
    ips: Vec<IpAddr>,
}

type Zone = Arc<Mutex<HashMap<String, Records>>>;

/// The server; records are kept per name (lower case, no trailing dot).
pub struct DnsServer {
    addr: SocketAddr,
    zone: Zone,
    tasks: Vec<JoinHandle<()>>,
}

impl DnsServer {
    pub async fn start() -> DnsServer {
        // UDP first on a free port, then TCP on the same one; another process may hold
        // that TCP port, so a few ports are tried.
        let (udp, tcp) = {
            let mut bound = None;
            for _ in 0..20 {
                let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind UDP");
                let addr = udp.local_addr().expect("local addr");
                if let Ok(tcp) = TcpListener::bind(addr).await {
                    bound = Some((udp, tcp));
                    break;
                }
            }
            bound.expect("a loopback port free for both UDP and TCP")
        };
        let addr = udp.local_addr().expect("local addr");
        let zone: Zone = Arc::default();
        let udp_task = {
            let zone = zone.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                while let Ok((n, peer)) = udp.recv_from(&mut buf).await {
                    if let Some(reply) = answer(&zone, &buf[..n]) {
                        let _ = udp.send_to(&reply, peer).await;
                    }
                }
            })
        };
        let tcp_task = {
            let zone = zone.clone();
            tokio::spawn(async move {
                let mut connections = tokio::task::JoinSet::new();
                while let Ok((stream, _)) = tcp.accept().await {
                    connections.spawn(serve_tcp(zone.clone(), stream));
                    while connections.try_join_next().is_some() {}
                }
            })
        };
        DnsServer {
            addr,
            zone,
            tasks: vec![udp_task, tcp_task],
        }
    }

    /// Where it listens (give it as `--acme-dns-resolver`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replace the TXT records at `name`.
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        self.edit(name, |records| {
            records.txt = values.iter().map(|v| v.to_string()).collect()
        });
    }

    /// Add an A (IPv4) or AAAA (IPv6) record at `name`.
    pub fn set_a(&self, name: &str, ip: IpAddr) {
        self.edit(name, |records| records.ips.push(ip));
    }

    /// Remove every record at `name` (it answers NXDOMAIN again).
    pub fn remove(&self, name: &str) {
        self.zone
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key(name));
    }

    fn edit(&self, name: &str, change: impl FnOnce(&mut Records)) {
        let mut zone = self.zone.lock().unwrap_or_else(|p| p.into_inner());
        change(zone.entry(key(name)).or_default());
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// RFC 1035 §4.2.2: each message is preceded by its two-byte length.
async fn serve_tcp(zone: Zone, mut stream: TcpStream) {
    loop {
        let mut length = [0u8; 2];
        if stream.read_exact(&mut length).await.is_err() {
            return;
        }
        let mut query = vec![0u8; usize::from(u16::from_be_bytes(length))];
        if stream.read_exact(&mut query).await.is_err() {
            return;
        }
        let Some(reply) = answer(&zone, &query) else {
            return;
        };
        let Ok(length) = u16::try_from(reply.len()) else {
            return;
        };
        if stream.write_all(&length.to_be_bytes()).await.is_err()
            || stream.write_all(&reply).await.is_err()
        {
            return;
        }
    }
}

/// The wire reply to one wire query; `None` for what is not a query.
fn answer(zone: &Zone, query: &[u8]) -> Option<Vec<u8>> {
    let request = Message::from_vec(query).ok()?;
    if request.metadata.message_type != MessageType::Query {
        return None;
    }
    let mut reply = Message::response(request.metadata.id, OpCode::Query);
    reply.metadata.authoritative = true;
    reply.metadata.recursion_desired = request.metadata.recursion_desired;
    let Some(question) = request.queries.first() else {
        reply.metadata.response_code = ResponseCode::FormErr;
        return reply.to_vec().ok();
    };
    reply.add_query(question.clone());
    let records = zone
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key(&question.name().to_ascii()))
        .cloned();
    let Some(records) = records else {
        reply.metadata.response_code = ResponseCode::NXDomain;
        return reply.to_vec().ok();
    };
    let name: Name = question.name().clone();
    let data: Vec<RData> = match question.query_type() {
        RecordType::TXT => records
            .txt
            .iter()
            .map(|value| {
                // A character-string holds at most 255 bytes (RFC 1035 §3.3).
                let mut chunks: Vec<&[u8]> = value.as_bytes().chunks(255).collect();
                if chunks.is_empty() {
                    chunks.push(b"");
                }
                RData::TXT(TXT::from_bytes(chunks))
            })
            .collect(),
        RecordType::A => records
            .ips
            .iter()
            .filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(RData::A(A(*v4))),
                IpAddr::V6(_) => None,
            })
            .collect(),
        RecordType::AAAA => records
            .ips
            .iter()
            .filter_map(|ip| match ip {
                IpAddr::V6(v6) => Some(RData::AAAA(AAAA(*v6))),
                IpAddr::V4(_) => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for rdata in data {
        reply.add_answer(Record::from_rdata(name.clone(), 0, rdata));
    }
    reply.to_vec().ok()
}
