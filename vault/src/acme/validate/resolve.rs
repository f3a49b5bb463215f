//! Where validation may connect and what it reads from DNS: the one name → address policy.
//!
//! A name resolves, in this order, to the `--acme-host NAME=IP` entries for it (they win over
//! DNS), to loopback (`127.0.0.1`, `::1`) when it is `localhost` or under `.localhost`
//! (RFC 6761 §6.3), or to the A/AAAA records the resolver returns (`--acme-dns-resolver`, or
//! the system's `/etc/resolv.conf`; never `/etc/hosts`, never a search list: names are asked
//! fully qualified). Nothing else is ever connected to: an IP literal is used only when it is
//! the identifier itself (RFC 8738), and addresses no host can serve (unspecified,
//! multicast, broadcast) are dropped. Answers are not cached, so a record changed between two
//! attempts is seen by the second.

use super::failure::problem;
use crate::config::AcmeConfig;
use crate::model::acme::StoredProblem;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use shared::acme::problem::ErrorType;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How long one DNS query waits for an answer, and how often it is tried: together well
/// inside the attempt's bound, so a silent resolver is reported as such.
const DNS_TIMEOUT: Duration = Duration::from_secs(3);
const DNS_ATTEMPTS: usize = 2;

/// The address policy and the DNS resolver behind it.
pub(super) struct Addresses {
    hosts: Vec<(String, IpAddr)>,
    /// `Err` when the system's configuration could not be read: validation that needs DNS
    /// then fails with a `dns` problem naming the cause (start-up does not).
    resolver: Result<TokioResolver, String>,
    /// "the DNS server 127.0.0.1:5353" or "the system resolver", for details.
    source: String,
}

impl Addresses {
    /// The policy of `config`; `Err` only for a resolver that cannot be built from explicit
    /// settings.
    pub fn new(config: &AcmeConfig) -> Result<Addresses, String> {
        let (resolver, source) = match config.dns_resolver {
            Some(addr) => (
                Ok(configured_resolver(addr)?),
                format!("the DNS server {addr}"),
            ),
            None => (system_resolver(), "the system resolver".to_string()),
        };
        Ok(Addresses {
            hosts: config.hosts.clone(),
            resolver,
            source,
        })
    }

    /// The addresses validation may connect to for `name` (a DNS name, no trailing dot
    /// needed). Failures are `dns` problems.
    pub async fn lookup_ip(&self, name: &str) -> Result<Vec<IpAddr>, StoredProblem> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let fixed: Vec<IpAddr> = self
            .hosts
            .iter()
            .filter(|(host, _)| *host == name)
            .map(|(_, ip)| *ip)
            .collect();
        if !fixed.is_empty() {
            return Ok(fixed);
        }
        if name == "localhost" || name.ends_with(".localhost") {
            return Ok(vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]);
        }
        let resolver = self.resolver(&name)?;
        let found = resolver
            .lookup_ip(format!("{name}."))
            .await
            .map_err(|e| self.lookup_failure(&e, "A/AAAA", &name))?;
        let all: Vec<IpAddr> = found.iter().collect();
        let usable: Vec<IpAddr> = all.iter().copied().filter(|ip| connectable(*ip)).collect();
        if usable.is_empty() {
            return Err(problem(
                ErrorType::Dns,
                format!(
                    "{name} resolves only to addresses no server can answer on ({}), \
                     according to {}",
                    list(&all),
                    self.source
                ),
            ));
        }
        Ok(usable)
    }

    /// The TXT records at `name`, each record's strings joined (RFC 8555 §8.4 compares whole
    /// records). NXDOMAIN and lookup failures are `dns` problems; a name without TXT records
    /// gives an empty list.
    pub async fn lookup_txt(&self, name: &str) -> Result<Vec<String>, StoredProblem> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let resolver = self.resolver(&name)?;
        let found = match resolver.lookup(format!("{name}."), RecordType::TXT).await {
            Ok(found) => found,
            Err(e) if e.is_no_records_found() && !e.is_nx_domain() => return Ok(Vec::new()),
            Err(e) => return Err(self.lookup_failure(&e, "TXT", &name)),
        };
        Ok(found
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|part| String::from_utf8_lossy(part))
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect())
    }

    fn resolver(&self, name: &str) -> Result<&TokioResolver, StoredProblem> {
        self.resolver.as_ref().map_err(|cause| {
            problem(
                ErrorType::Dns,
                format!(
                    "cannot look up {name}: no DNS resolver ({cause}); start vault with \
                     --acme-dns-resolver ADDR or --acme-host {name}=IP"
                ),
            )
        })
    }

    fn lookup_failure(&self, error: &NetError, kind: &str, name: &str) -> StoredProblem {
        let what = if error.is_nx_domain() {
            format!("NXDOMAIN looking up {kind} for {name}: the name does not exist")
        } else if error.is_no_records_found() {
            format!("no {kind} record for {name}")
        } else if matches!(error, NetError::Timeout) {
            format!("timed out looking up {kind} for {name}")
        } else {
            format!("looking up {kind} for {name} failed: {error}")
        };
        problem(ErrorType::Dns, format!("{what} (asked {})", self.source))
    }
}

/// Whether a host could be listening at `ip` (an identifier's own address included).
pub(super) fn connectable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast()),
        IpAddr::V6(v6) => !(v6.is_unspecified() || v6.is_multicast()),
    }
}

/// `a, b, c` for details.
pub(super) fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn options() -> ResolverOpts {
    let mut options = ResolverOpts::default();
    options.timeout = DNS_TIMEOUT;
    options.attempts = DNS_ATTEMPTS;
    options.use_hosts_file = ResolveHosts::Never;
    options.ndots = 0;
    // A validation must see the records as they are now (a client fixes a record and
    // retries): no answer is kept.
    options.cache_size = 0;
    options.positive_max_ttl = Some(Duration::ZERO);
    options.negative_max_ttl = Some(Duration::ZERO);
    options
}

fn configured_resolver(addr: SocketAddr) -> Result<TokioResolver, String> {
    let mut udp = ConnectionConfig::udp();
    udp.port = addr.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = addr.port();
    let server = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
    TokioResolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![server]),
        TokioRuntimeProvider::default(),
    )
    .with_options(options())
    .build()
    .map_err(|e| format!("--acme-dns-resolver {addr}: cannot build a resolver: {e}"))
}

fn system_resolver() -> Result<TokioResolver, String> {
    let builder = TokioResolver::builder_tokio()
        .map_err(|e| format!("cannot read the system's DNS configuration: {e}"))?;
    builder
        .with_options(options())
        .build()
        .map_err(|e| format!("cannot build the system resolver: {e}"))
}

/// A name lookup that failed under the policy, carried through reqwest's connector so the
/// http-01 check reports the `dns` problem itself instead of a connection error.
#[derive(Debug)]
pub(super) struct ResolveFailure(pub StoredProblem);

impl std::fmt::Display for ResolveFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.detail)
    }
}

impl std::error::Error for ResolveFailure {}

/// reqwest's view of the policy: every name http-01 connects to (the identifier and each
/// redirect target) is resolved here, so a connection can only go where the policy allows.
pub(super) struct PolicyResolver(pub Arc<Addresses>);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let addresses = self.0.clone();
        let name = name.as_str().to_string();
        Box::pin(async move {
            let ips = addresses.lookup_ip(&name).await.map_err(|p| {
                Box::new(ResolveFailure(p)) as Box<dyn std::error::Error + Send + Sync>
            })?;
            // The port is the URL's: reqwest replaces this one.
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
