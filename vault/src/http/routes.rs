//! The route table (one place) and what a path means: the router, the polling fast path's
//! test ([`poll_target`]) and the metric label of a path ([`route_template`]) all read the same
//! reserved words ([`RESERVED_NAMES`]).

use super::extract::BODY_LIMIT;
use super::state::AppState;
use super::{
    admin, admin_access, certificates, contacts, deleted, issuers, keys, pending, secrets,
};
use crate::error::Error;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

/// The static words the route table has right under `/certificates/`. The router matches a
/// static segment before the `{name}` parameter (spec §1.1), so none of these is ever a
/// certificate name in a path.
pub const RESERVED_NAMES: [&str; 3] = [CONTACTS, ISSUERS, RESTORE];
const CONTACTS: &str = "contacts";
const ISSUERS: &str = "issuers";
const RESTORE: &str = "restore";

/// The route template of the polling fast path (also its metric label).
pub const POLL_ROUTE: &str = "/certificates/{name}/pending";

/// The route table. Reserved words ([`RESERVED_NAMES`], `pending`, `policy`, ...) are static
/// segments, which the router matches before the `{name}`/`{version}` parameters (spec §1.1).
pub fn router(state: AppState) -> Router {
    let [contacts_path, issuers_path, restore_path] =
        RESERVED_NAMES.map(|word| format!("/certificates/{word}"));
    let kv = Router::new()
        .route("/certificates", get(certificates::list))
        .route(
            &contacts_path,
            get(contacts::get)
                .put(contacts::set)
                .delete(contacts::delete),
        )
        .route(&issuers_path, get(issuers::list))
        .route(&restore_path, post(certificates::restore))
        .route(
            &format!("{issuers_path}/{{issuer}}"),
            get(issuers::get)
                .put(issuers::set)
                .patch(issuers::update)
                .delete(issuers::delete),
        )
        .route(
            "/certificates/{name}",
            get(certificates::get_latest)
                .patch(certificates::update_latest)
                .delete(certificates::delete),
        )
        .route(
            "/certificates/{name}/",
            get(certificates::get_latest).patch(certificates::update_latest),
        )
        .route("/certificates/{name}/create", post(certificates::create))
        .route("/certificates/{name}/import", post(certificates::import))
        .route("/certificates/{name}/backup", post(certificates::backup))
        .route("/certificates/{name}/pending/merge", post(pending::merge))
        .route("/certificates/{name}/versions", get(certificates::versions))
        .route(
            "/certificates/{name}/policy",
            get(certificates::get_policy).patch(certificates::update_policy),
        )
        .route(
            POLL_ROUTE,
            get(pending::get)
                .patch(pending::cancel)
                .delete(pending::delete),
        )
        .route(
            "/certificates/{name}/{version}",
            get(certificates::get_version).patch(certificates::update_version),
        )
        .route("/deletedcertificates", get(deleted::list))
        .route(
            "/deletedcertificates/{name}",
            get(deleted::get).delete(deleted::purge),
        )
        .route(
            "/deletedcertificates/{name}/recover",
            post(deleted::recover),
        )
        .route("/keys/{name}", get(keys::get_latest))
        .route("/keys/{name}/", get(keys::get_latest))
        .route("/keys/{name}/{version}", get(keys::get_version))
        .route("/keys/{name}/{version}/sign", post(keys::sign))
        .route("/keys/{name}/{version}/verify", post(keys::verify))
        .route("/secrets/{name}", get(secrets::get_latest))
        .route("/secrets/{name}/", get(secrets::get_latest))
        .route("/secrets/{name}/{version}", get(secrets::get_version));

    Router::new()
        .merge(kv)
        .nest("/_admin", admin::router())
        .merge(admin_access::router())
        .route("/metrics", get(admin::metrics))
        .fallback(|| async { Error::RouteNotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The certificate name when `path` is a poll ([`POLL_ROUTE`]) the middleware may answer
/// without the router: `/certificates/{name}/pending` with a plain name. Anything else
/// (percent-encoded names, the [`RESERVED_NAMES`]) is left to the route table.
pub fn poll_target(path: &str) -> Option<&str> {
    let name = path
        .strip_prefix("/certificates/")?
        .strip_suffix("/pending")?;
    let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (plain && !RESERVED_NAMES.contains(&name)).then_some(name)
}

/// The route template of a request path, so metric labels stay few
/// (`/certificates/{name}/pending`).
pub fn route_template(path: &str) -> String {
    const FIXED_THIRD: &[&str] = &[
        "pending", "policy", "versions", "create", "import", "backup", "recover",
    ];
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut out = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        let keep = match i {
            0 => matches!(
                *seg,
                "certificates" | "deletedcertificates" | "keys" | "secrets" | "_admin" | "metrics"
            ),
            1 => RESERVED_NAMES.contains(seg) || segments[0] == "_admin",
            2 => FIXED_THIRD.contains(seg),
            _ => matches!(*seg, "merge" | "sign" | "verify"),
        };
        if keep {
            out.push(seg.to_string());
        } else if seg.is_empty() {
            out.push(String::new());
        } else {
            out.push(match i {
                0 => "{unknown}".to_string(),
                1 => "{name}".to_string(),
                2 if segments[1] == ISSUERS => "{issuer}".to_string(),
                2 => "{version}".to_string(),
                _ => "{segment}".to_string(),
            });
        }
        if i == 0 && !keep {
            break;
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_poll_paths_take_the_hot_path() {
        assert_eq!(poll_target("/certificates/web-1/pending"), Some("web-1"));
        assert_eq!(poll_target("/certificates/Web1/pending"), Some("Web1"));
        for other in [
            "/certificates//pending",
            "/certificates/web/pending/",
            "/certificates/web/pending/merge",
            "/certificates/w%2Deb/pending",
            "/certificates/issuers/pending",
            "/certificates/contacts/pending",
            "/certificates/a/b/pending",
            "/certificates/web",
            "/deletedcertificates/web/pending",
        ] {
            assert_eq!(poll_target(other), None, "{other}");
        }
    }

    #[test]
    fn routes_collapse_to_templates() {
        assert_eq!(route_template("/certificates/web1/pending"), POLL_ROUTE);
        assert_eq!(
            route_template("/certificates/web1/"),
            "/certificates/{name}/"
        );
        assert_eq!(
            route_template("/certificates/web1/abc123"),
            "/certificates/{name}/{version}"
        );
        assert_eq!(
            route_template("/certificates/issuers/dc"),
            "/certificates/issuers/{issuer}"
        );
        assert_eq!(
            route_template("/certificates/web/pending/merge"),
            "/certificates/{name}/pending/merge"
        );
        assert_eq!(
            route_template("/keys/k/v1/sign"),
            "/keys/{name}/{version}/sign"
        );
        assert_eq!(route_template("/no/such/thing"), "/{unknown}");
    }

    #[test]
    fn reserved_names_are_never_names() {
        for word in RESERVED_NAMES {
            assert_eq!(poll_target(&format!("/certificates/{word}/pending")), None);
            assert_eq!(
                route_template(&format!("/certificates/{word}")),
                format!("/certificates/{word}")
            );
        }
    }
}
