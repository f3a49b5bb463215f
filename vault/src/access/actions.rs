//! What each Key Vault route needs, in one table: its access-policy permission (object kind +
//! permission word) and its RBAC data action, plus which object the RBAC resource id and a
//! scoped role assignment refer to. Sources: "Certificate access control" and "Key Vault
//! REST API" on learn.microsoft.com (access-policy words: each operation's "requires the
//! certificates/<word> permission"), and the Microsoft.KeyVault data actions as listed in the
//! built-in role definitions (handbook spec/identity-and-access.md §3).

use axum::http::Method;
use std::borrow::Cow;
use std::sync::LazyLock;

/// The object kind an access-policy permission belongs to (one list per kind in a policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Certificates,
    Keys,
    Secrets,
}

impl Category {
    /// The word Key Vault's messages and the access file use.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Certificates => "certificates",
            Category::Keys => "keys",
            Category::Secrets => "secrets",
        }
    }

    /// Every permission word an access policy may hold for this kind (Azure's lists, plus
    /// `all`, which ARM templates and the CLI accept for "every permission").
    pub fn words(self) -> &'static [&'static str] {
        match self {
            Category::Certificates => &[
                "all",
                "get",
                "list",
                "update",
                "create",
                "import",
                "delete",
                "recover",
                "backup",
                "restore",
                "managecontacts",
                "manageissuers",
                "getissuers",
                "listissuers",
                "setissuers",
                "deleteissuers",
                "purge",
            ],
            Category::Keys => &[
                "all",
                "get",
                "list",
                "update",
                "create",
                "import",
                "delete",
                "recover",
                "backup",
                "restore",
                "decrypt",
                "encrypt",
                "unwrapkey",
                "wrapkey",
                "verify",
                "sign",
                "purge",
                "release",
                "rotate",
                "getrotationpolicy",
                "setrotationpolicy",
            ],
            Category::Secrets => &[
                "all", "get", "list", "set", "delete", "recover", "backup", "restore", "purge",
            ],
        }
    }
}

/// The object a request acts on, for the RBAC resource id and scoped assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The vault itself (lists, restore, contacts, issuers).
    Vault,
    /// The certificate named by the path's second segment.
    Certificate,
    /// A deleted certificate (second segment): vault-level in RBAC, like Azure's recover and
    /// purge, which no object-scoped assignment can grant once the object is deleted.
    DeletedCertificate,
    /// The key named by the second segment (a certificate's linked key).
    Key,
    /// The secret named by the second segment (a certificate's linked secret).
    Secret,
}

/// One row of the table: a route and what it needs.
#[derive(Debug)]
pub struct Operation {
    pub method: Method,
    /// The route as written in `http::routes::router` (`{name}`, `{version}`, `{issuer}`).
    pub route: &'static str,
    pub category: Category,
    /// The permission words that allow it; the first is the one a 403 names. Issuer
    /// operations also accept `manageissuers` (REST docs: "requires the
    /// certificates/manageissuers/getissuers permission").
    pub permissions: &'static [&'static str],
    /// The RBAC data action (`Microsoft.KeyVault/vaults/...`).
    pub data_action: &'static str,
    pub target: Target,
}

const CERT_READ: &str = "Microsoft.KeyVault/vaults/certificates/read";
const CERT_DELETE: &str = "Microsoft.KeyVault/vaults/certificates/delete";
const CERT_CREATE: &str = "Microsoft.KeyVault/vaults/certificates/create/action";
const CERT_IMPORT: &str = "Microsoft.KeyVault/vaults/certificates/import/action";
const CERT_UPDATE: &str = "Microsoft.KeyVault/vaults/certificates/update/action";
const CERT_BACKUP: &str = "Microsoft.KeyVault/vaults/certificates/backup/action";
const CERT_RESTORE: &str = "Microsoft.KeyVault/vaults/certificates/restore/action";
const CERT_RECOVER: &str = "Microsoft.KeyVault/vaults/certificates/recover/action";
const CERT_PURGE: &str = "Microsoft.KeyVault/vaults/certificates/purge/action";
const CAS_READ: &str = "Microsoft.KeyVault/vaults/certificatecas/read";
const CAS_WRITE: &str = "Microsoft.KeyVault/vaults/certificatecas/write";
const CAS_DELETE: &str = "Microsoft.KeyVault/vaults/certificatecas/delete";
/// Azure defines no `certificatecontacts/read`: reading contacts needs the same
/// `certificatecontacts/write` as changing them (and `managecontacts` in access policies).
const CONTACTS_WRITE: &str = "Microsoft.KeyVault/vaults/certificatecontacts/write";
const KEYS_READ: &str = "Microsoft.KeyVault/vaults/keys/read";
const KEYS_SIGN: &str = "Microsoft.KeyVault/vaults/keys/sign/action";
const KEYS_VERIFY: &str = "Microsoft.KeyVault/vaults/keys/verify/action";
/// Reading a secret's value, which for a certificate's secret is its private key.
const SECRETS_GET: &str = "Microsoft.KeyVault/vaults/secrets/getSecret/action";

const fn op(
    method: Method,
    route: &'static str,
    category: Category,
    permissions: &'static [&'static str],
    data_action: &'static str,
    target: Target,
) -> Operation {
    Operation {
        method,
        route,
        category,
        permissions,
        data_action,
        target,
    }
}

use Category::{Certificates as C, Keys as K, Secrets as S};
use Target::{Certificate as Cert, DeletedCertificate as Deleted, Key, Secret, Vault};

/// Every route of `http::routes::router` outside `/_admin` and `/metrics`. A test parses the
/// router and fails for a route missing here.
#[rustfmt::skip]
pub static OPERATIONS: &[Operation] = &[
    op(Method::GET, "/certificates", C, &["list"], CERT_READ, Vault),
    // Contacts: one permission for read, set and delete (REST docs: managecontacts).
    op(Method::GET, "/certificates/contacts", C, &["managecontacts"], CONTACTS_WRITE, Vault),
    op(Method::PUT, "/certificates/contacts", C, &["managecontacts"], CONTACTS_WRITE, Vault),
    op(Method::DELETE, "/certificates/contacts", C, &["managecontacts"], CONTACTS_WRITE, Vault),
    op(Method::GET, "/certificates/issuers", C, &["listissuers", "manageissuers"], CAS_READ, Vault),
    op(Method::POST, "/certificates/restore", C, &["restore"], CERT_RESTORE, Vault),
    op(Method::GET, "/certificates/issuers/{issuer}", C, &["getissuers", "manageissuers"], CAS_READ, Vault),
    op(Method::PUT, "/certificates/issuers/{issuer}", C, &["setissuers", "manageissuers"], CAS_WRITE, Vault),
    op(Method::PATCH, "/certificates/issuers/{issuer}", C, &["setissuers", "manageissuers"], CAS_WRITE, Vault),
    op(Method::DELETE, "/certificates/issuers/{issuer}", C, &["deleteissuers", "manageissuers"], CAS_DELETE, Vault),
    op(Method::GET, "/certificates/{name}", C, &["get"], CERT_READ, Cert),
    op(Method::PATCH, "/certificates/{name}", C, &["update"], CERT_UPDATE, Cert),
    op(Method::DELETE, "/certificates/{name}", C, &["delete"], CERT_DELETE, Cert),
    op(Method::GET, "/certificates/{name}/", C, &["get"], CERT_READ, Cert),
    op(Method::PATCH, "/certificates/{name}/", C, &["update"], CERT_UPDATE, Cert),
    op(Method::POST, "/certificates/{name}/create", C, &["create"], CERT_CREATE, Cert),
    op(Method::POST, "/certificates/{name}/import", C, &["import"], CERT_IMPORT, Cert),
    op(Method::POST, "/certificates/{name}/backup", C, &["backup"], CERT_BACKUP, Cert),
    // Merge completes a create (REST docs: "requires the certificates/create permission").
    op(Method::POST, "/certificates/{name}/pending/merge", C, &["create"], CERT_CREATE, Cert),
    op(Method::GET, "/certificates/{name}/versions", C, &["list"], CERT_READ, Cert),
    op(Method::GET, "/certificates/{name}/policy", C, &["get"], CERT_READ, Cert),
    op(Method::PATCH, "/certificates/{name}/policy", C, &["update"], CERT_UPDATE, Cert),
    op(Method::GET, "/certificates/{name}/pending", C, &["get"], CERT_READ, Cert),
    // Cancel is an update of the pending operation, delete deletes it (REST docs).
    op(Method::PATCH, "/certificates/{name}/pending", C, &["update"], CERT_UPDATE, Cert),
    op(Method::DELETE, "/certificates/{name}/pending", C, &["delete"], CERT_DELETE, Cert),
    op(Method::GET, "/certificates/{name}/{version}", C, &["get"], CERT_READ, Cert),
    op(Method::PATCH, "/certificates/{name}/{version}", C, &["update"], CERT_UPDATE, Cert),
    // Deleted certificates: Azure has no separate data actions for them; reading them is
    // certificates/read, recovering and purging their own actions. The list "requires the
    // certificates/get/list permission" (REST docs): either word.
    op(Method::GET, "/deletedcertificates", C, &["list", "get"], CERT_READ, Vault),
    op(Method::GET, "/deletedcertificates/{name}", C, &["get"], CERT_READ, Deleted),
    op(Method::DELETE, "/deletedcertificates/{name}", C, &["purge"], CERT_PURGE, Deleted),
    op(Method::POST, "/deletedcertificates/{name}/recover", C, &["recover"], CERT_RECOVER, Deleted),
    op(Method::GET, "/keys/{name}", K, &["get"], KEYS_READ, Key),
    op(Method::GET, "/keys/{name}/", K, &["get"], KEYS_READ, Key),
    op(Method::GET, "/keys/{name}/{version}", K, &["get"], KEYS_READ, Key),
    op(Method::POST, "/keys/{name}/{version}/sign", K, &["sign"], KEYS_SIGN, Key),
    op(Method::POST, "/keys/{name}/{version}/verify", K, &["verify"], KEYS_VERIFY, Key),
    // A certificate's private key is read through its secret: secrets get / getSecret.
    op(Method::GET, "/secrets/{name}", S, &["get"], SECRETS_GET, Secret),
    op(Method::GET, "/secrets/{name}/", S, &["get"], SECRETS_GET, Secret),
    op(Method::GET, "/secrets/{name}/{version}", S, &["get"], SECRETS_GET, Secret),
];

/// What a request needs: its table row and, for object targets, the object's name (the
/// path's second segment, percent-decoded; borrowed from the path unless it has escapes).
#[derive(Debug)]
pub struct Needed<'p> {
    pub op: &'static Operation,
    /// The row's position in [`OPERATIONS`] (what per-document grants are indexed by).
    pub index: usize,
    /// The row's permission words as bits of [`Category::words`] ([`permission_bits`]).
    pub permissions: u32,
    pub name: Option<Cow<'p, str>>,
}

/// The bits of `category`'s [`Category::words`] that `words` name (case-insensitive; words
/// the category does not know set none). Bit 0 is `all`.
pub fn permission_bits<'w>(category: Category, words: impl IntoIterator<Item = &'w str>) -> u32 {
    let known = category.words();
    words
        .into_iter()
        .filter_map(|w| known.iter().position(|k| k.eq_ignore_ascii_case(w)))
        .fold(0, |bits, i| bits | 1 << i)
}

/// The operation for `method` on `path` (relative to the vault), chosen the way the router
/// chooses: among the routes whose shape matches the path, the one with static segments
/// earliest wins (spec §1.1); then the method. `None` when the router would answer 404 or
/// 405 itself.
pub fn lookup<'p>(method: &Method, path: &'p str) -> Option<Needed<'p>> {
    // Every request of a declared vault comes here: no allocation (the name is borrowed
    // unless it has escapes) and no splitting of the table's routes, which [`ROUTES`] holds
    // split, by segment count, best rank first.
    let mut segments = [""; MAX_SEGMENTS];
    let mut count = 0;
    for segment in path.split('/') {
        *segments.get_mut(count)? = segment;
        count += 1;
    }
    let segments = &segments[..count];
    let route = ROUTES.get(count)?.iter().find(|r| r.matches(segments))?;
    let &(index, op, permissions) = route.ops.iter().find(|(_, op, _)| op.method == method)?;
    let name = match op.target {
        Target::Vault => None,
        _ => segments
            .get(2)
            .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy()),
    };
    Some(Needed {
        op,
        index,
        permissions,
        name,
    })
}

/// More path segments than any route has (the leading empty one included).
const MAX_SEGMENTS: usize = 8;

/// One distinct route of [`OPERATIONS`], split once: `None` for a `{parameter}` segment.
/// The segments are held inline, so the routes of one length lie in one contiguous block.
struct Route {
    segments: [Option<&'static str>; MAX_SEGMENTS],
    len: usize,
    /// Its rows (index in [`OPERATIONS`], row, permission bits), in table order.
    ops: Vec<(usize, &'static Operation, u32)>,
}

impl Route {
    /// Whether the path's segments (as many as the route has) fit: static words equal, a
    /// parameter non-empty. Last segment first: that is where routes of one length differ.
    fn matches(&self, path: &[&str]) -> bool {
        self.segments[..self.len]
            .iter()
            .zip(path)
            .rev()
            .all(|(p, s)| match p {
                Some(word) => word == s,
                None => !s.is_empty(),
            })
    }

    /// A bit per static segment, earlier segments in higher bits: among routes that fit a
    /// path, the highest rank is the one whose static segment comes earliest.
    fn rank(&self) -> u32 {
        self.segments[..self.len]
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_some())
            .fold(0, |rank, (i, _)| rank | 1 << (31 - i))
    }
}

/// The routes of [`OPERATIONS`] by segment count (index = count, the leading empty segment
/// included), each list in falling rank, ties in table order: the first route that fits a
/// path is the one the router picks.
static ROUTES: LazyLock<Vec<Vec<Route>>> = LazyLock::new(|| {
    let mut routes: Vec<(&'static str, Route)> = Vec::new();
    for (index, op) in OPERATIONS.iter().enumerate() {
        let bits = permission_bits(op.category, op.permissions.iter().copied());
        let entry = (index, op, bits);
        if let Some((_, route)) = routes.iter_mut().find(|(r, _)| *r == op.route) {
            route.ops.push(entry);
            continue;
        }
        let mut route = Route {
            segments: [None; MAX_SEGMENTS],
            len: 0,
            ops: vec![entry],
        };
        for segment in op.route.split('/') {
            // A route longer than any path lookup accepts could never match: left out.
            let Some(slot) = route.segments.get_mut(route.len) else {
                route.len = usize::MAX;
                break;
            };
            *slot = (!segment.starts_with('{')).then_some(segment);
            route.len += 1;
        }
        routes.push((op.route, route));
    }
    let mut by_count: Vec<Vec<Route>> = (0..=MAX_SEGMENTS).map(|_| Vec::new()).collect();
    for (_, route) in routes {
        if let Some(list) = by_count.get_mut(route.len) {
            list.push(route);
        }
    }
    for list in &mut by_count {
        // Stable: equal ranks keep table order.
        list.sort_by_key(|r| std::cmp::Reverse(r.rank()));
    }
    by_count
});
