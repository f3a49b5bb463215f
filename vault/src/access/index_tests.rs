//! The compiled forms decide exactly as the plain scans they replaced: the route look-up
//! against a per-request split of every pattern, the principal index against a scan of the
//! document, the permission bits against the table's words.

use super::actions::{lookup, permission_bits, OPERATIONS};
use super::caller::Caller;
use super::doc::{AccessDoc, Principal};
use super::index::DocIndex;
use axum::http::Method;
use std::sync::Arc;

/// The route look-up as it was: every pattern split per request, best rank, then method.
fn reference_lookup(method: &Method, path: &str) -> Option<(usize, Option<String>)> {
    let segments: Vec<&str> = path.split('/').collect();
    if segments.len() > 8 {
        return None;
    }
    let mut best: Option<(u32, &str)> = None;
    for op in OPERATIONS {
        let mut pattern = op.route.split('/');
        let mut rank = Some(0u32);
        for (i, s) in segments.iter().enumerate() {
            rank = match (pattern.next(), rank) {
                (Some(p), Some(r)) if p.starts_with('{') && !s.is_empty() => Some(r),
                (Some(p), Some(r)) if p == *s => Some(r | 1 << (31 - i)),
                _ => None,
            };
        }
        let Some(rank) = rank.filter(|_| pattern.next().is_none()) else {
            continue;
        };
        if best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, op.route));
        }
    }
    let (_, route) = best?;
    let index = OPERATIONS
        .iter()
        .position(|op| op.route == route && op.method == method)?;
    let name = match OPERATIONS[index].target {
        super::actions::Target::Vault => None,
        _ => segments.get(2).map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        }),
    };
    Some((index, name))
}

#[test]
fn the_compiled_route_table_chooses_as_the_per_request_split_did() {
    // Per segment, the words routes use there plus names, empty and unknown segments.
    let levels: [&[&str]; 5] = [
        &[
            "",
            "certificates",
            "deletedcertificates",
            "keys",
            "secrets",
            "web",
            "x",
        ],
        &["", "contacts", "issuers", "restore", "web", "w%2Deb"],
        &[
            "", "pending", "create", "import", "v1", "versions", "recover", "sign",
        ],
        &["", "merge", "sign", "verify", "x"],
        &["x"],
    ];
    let methods = [
        Method::GET,
        Method::PUT,
        Method::PATCH,
        Method::POST,
        Method::DELETE,
    ];
    let mut paths = vec![String::new(), "certificates".to_string()];
    let mut frontier = vec![String::new()];
    for words in levels {
        frontier = frontier
            .iter()
            .flat_map(|prefix| words.iter().map(move |w| format!("{prefix}/{w}")))
            .collect();
        paths.extend(frontier.iter().cloned());
    }
    paths.push("/certificates/a/b/c/d/e/f/g/h".into());
    let mut found = 0;
    for path in &paths {
        for method in &methods {
            let new = lookup(method, path).map(|n| {
                assert!(std::ptr::eq(n.op, &OPERATIONS[n.index]));
                (n.index, n.name.map(|c| c.into_owned()))
            });
            assert_eq!(new, reference_lookup(method, path), "{method} {path}");
            found += usize::from(new.is_some());
        }
    }
    assert!(found > OPERATIONS.len(), "{found} of {} paths", paths.len());
}

#[test]
fn every_permission_word_of_the_table_has_a_bit() {
    for op in OPERATIONS {
        for word in op.permissions {
            assert_ne!(permission_bits(op.category, [*word]), 0, "{word}");
        }
    }
    assert_eq!(
        permission_bits(super::actions::Category::Secrets, ["ALL", "nonsense"]),
        1
    );
}

fn principal(name: &str, client_id: &str, object_id: Option<&str>) -> Principal {
    Principal {
        name: name.into(),
        client_id: client_id.into(),
        object_id: object_id.map(Into::into),
        ..Default::default()
    }
}

#[test]
fn the_principal_is_the_first_the_document_scan_finds_in_any_tenant() {
    let doc = AccessDoc {
        tenant_id: Some("Tenant-A".into()),
        principals: vec![
            principal("a", "client-a", None),
            principal("b", "Client-B", Some("OID-B")),
            principal("c", "client-c", None),
        ],
        vaults: vec![],
    };
    let scan = |c: &Caller| {
        doc.principals.iter().position(|p| {
            p.client_id.eq_ignore_ascii_case(&c.appid)
                || p.object_id_or_derived(&c.tid).eq_ignore_ascii_case(&c.oid)
        })
    };
    let index = DocIndex::new(Arc::new(doc.clone()));
    let oid_c_a = doc.principals[2].object_id_or_derived("tenant-a");
    let oid_a_x = doc.principals[0].object_id_or_derived("tenant-x");
    let ids = [
        "client-a", "CLIENT-B", "client-c", "oid-b", "nobody", &oid_c_a, &oid_a_x,
    ];
    for tid in ["tenant-a", "TENANT-A", "tenant-x"] {
        for appid in ids {
            for oid in ids {
                let caller = Caller {
                    appid: appid.into(),
                    oid: oid.into(),
                    tid: tid.into(),
                };
                assert_eq!(index.principal(&caller), scan(&caller), "{caller:?}");
            }
        }
    }
}
