//! Unit tests of the access document's loading and of the decisions of both models, and the
//! guard that every route of the router has a row in the permission table.

use super::actions::{lookup, Category, OPERATIONS};
use super::caller::Caller;
use super::doc::{AccessDoc, Principal};
use super::load;
use super::roles;
use super::state::Access;
use crate::error::Error;
use axum::http::Method;
use std::path::Path;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const APP: &str = "11111111-1111-1111-1111-111111111111";
const OPS: &str = "22222222-2222-2222-2222-222222222222";
const OPS_OID: &str = "33333333-3333-3333-3333-333333333333";

const DOC: &str = r#"
tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47"

[[principals]]
name = "app"
client_id = "11111111-1111-1111-1111-111111111111"
client_secret = "app-secret"

[[principals]]
name = "ops"
client_id = "22222222-2222-2222-2222-222222222222"
client_secret = "ops-secret"
object_id = "33333333-3333-3333-3333-333333333333"

[[vaults]]
name = "policyvault"
authorization = "access-policy"
location = "westeurope"
[[vaults.access_policies]]
principal = "app"
certificates = ["get", "list", "create"]
secrets = ["get"]
[[vaults.access_policies]]
principal = "ops"
certificates = ["ManageIssuers", "managecontacts"]

[[vaults]]
name = "rbacvault"
authorization = "rbac"
subscription_id = "sub-1"
resource_group = "rg-1"
[[vaults.role_assignments]]
principal = "app"
role = "Key Vault Certificate User"
scope = "/certificates/web"
[[vaults.role_assignments]]
principal = "ops"
role = "Key Vault Certificates Officer"
"#;

fn access() -> Access {
    let doc = load::from_toml(DOC, "test").unwrap();
    Access::new(load::prepare(doc, None, "test").unwrap())
}

fn caller(appid: &str, oid: &str) -> Caller {
    Caller {
        appid: appid.into(),
        oid: oid.into(),
        tid: TENANT.into(),
    }
}

fn app() -> Caller {
    let p = Principal {
        client_id: APP.into(),
        ..Default::default()
    };
    caller(APP, &p.object_id_or_derived(TENANT))
}

fn ops() -> Caller {
    caller(OPS, OPS_OID)
}

/// The 403's message and inner code, or `None` when allowed.
fn denied(
    a: &Access,
    vault: &str,
    who: &Caller,
    method: Method,
    path: &str,
) -> Option<(String, &'static str)> {
    match a.check(vault, who, &method, path) {
        Ok(()) => None,
        Err(Error::Forbidden {
            message,
            inner: Some(inner),
        }) => Some((message, inner)),
        Err(other) => panic!("not a 403: {other:?}"),
    }
}

#[test]
fn derived_object_ids_are_stable_uuids() {
    let p = Principal {
        name: "app".into(),
        client_id: APP.into(),
        ..Default::default()
    };
    let a = p.object_id_or_derived("t1");
    assert_eq!(a, p.object_id_or_derived("t1"));
    assert_ne!(a, p.object_id_or_derived("t2"));
    let groups: Vec<usize> = a.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12]);
    assert_eq!(a.as_bytes()[14], b'8', "version 8: {a}");
    let explicit = Principal {
        object_id: Some("oid-1".into()),
        ..p
    };
    assert_eq!(explicit.object_id_or_derived("t1"), "oid-1");
}

#[test]
fn access_policy_decisions_and_the_exact_403() {
    let a = access();
    let v = "policyvault";
    assert_eq!(
        denied(&a, v, &app(), Method::GET, "/certificates/web"),
        None
    );
    assert_eq!(denied(&a, v, &app(), Method::GET, "/certificates"), None);
    assert_eq!(
        denied(&a, v, &app(), Method::POST, "/certificates/web/create"),
        None
    );
    // Reading a certificate's private key is a secrets get.
    assert_eq!(denied(&a, v, &app(), Method::GET, "/secrets/web/"), None);
    assert!(denied(&a, v, &ops(), Method::GET, "/secrets/web").is_some());
    let (message, inner) = denied(&a, v, &app(), Method::POST, "/certificates/web/import").unwrap();
    assert_eq!(inner, "ForbiddenByPolicy");
    assert_eq!(
        message,
        format!(
            "The user, group or application 'appid={APP};oid={};iss=https://sts.windows.net/{TENANT}/' \
             does not have certificates import permission on key vault 'policyvault;location=westeurope'. \
             For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
            app().oid
        )
    );
    // Issuers: getissuers, or manageissuers for all four; contacts: managecontacts.
    for (method, path) in [
        (Method::GET, "/certificates/issuers"),
        (Method::GET, "/certificates/issuers/dc"),
        (Method::PUT, "/certificates/issuers/dc"),
        (Method::DELETE, "/certificates/issuers/dc"),
        (Method::GET, "/certificates/contacts"),
        (Method::PUT, "/certificates/contacts"),
    ] {
        assert_eq!(denied(&a, v, &ops(), method.clone(), path), None, "{path}");
        let (message, _) = denied(&a, v, &app(), method, path).unwrap();
        assert!(
            message.contains("certificates listissuers permission")
                || message.contains("certificates getissuers permission")
                || message.contains("certificates setissuers permission")
                || message.contains("certificates deleteissuers permission")
                || message.contains("certificates managecontacts permission"),
            "{message}"
        );
    }
    // By object id alone (a token whose appid the document does not know).
    assert_eq!(
        denied(
            &a,
            v,
            &caller("other", OPS_OID),
            Method::GET,
            "/certificates/issuers"
        ),
        None
    );
    // Unknown principals get nothing; undeclared vaults are open; unknown routes pass.
    assert!(denied(&a, v, &caller("x", "y"), Method::GET, "/certificates").is_some());
    assert_eq!(
        denied(
            &a,
            "openvault",
            &caller("x", "y"),
            Method::DELETE,
            "/certificates/web"
        ),
        None
    );
    assert_eq!(denied(&a, v, &app(), Method::GET, "/no/such/route"), None);
    assert_eq!(
        a.open_vaults(["default", "PolicyVault", "other"]),
        ["default", "other"]
    );
}

#[test]
fn rbac_decisions_per_certificate_scope_and_the_exact_403() {
    let a = access();
    let v = "rbacvault";
    // Certificate User scoped to /certificates/web: that certificate, its key and secret.
    assert_eq!(
        denied(&a, v, &app(), Method::GET, "/certificates/web"),
        None
    );
    assert_eq!(
        denied(&a, v, &app(), Method::GET, "/certificates/web/policy"),
        None
    );
    assert_eq!(denied(&a, v, &app(), Method::GET, "/secrets/web/v1"), None);
    assert_eq!(denied(&a, v, &app(), Method::GET, "/keys/web"), None);
    assert!(denied(&a, v, &app(), Method::GET, "/certificates/other").is_some());
    assert!(denied(&a, v, &app(), Method::GET, "/secrets/other").is_some());
    // Vault-level reads are outside a per-certificate scope.
    assert!(denied(&a, v, &app(), Method::GET, "/certificates").is_some());
    let (message, inner) = denied(&a, v, &app(), Method::POST, "/certificates/web/import").unwrap();
    assert_eq!(inner, "ForbiddenByRbac");
    assert_eq!(
        message,
        format!(
            "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny \
             assignments or role definitions were changed recently, please observe propagation \
             time.\r\nCaller: appid={APP};oid={};iss=https://sts.windows.net/{TENANT}/\r\n\
             Action: 'Microsoft.KeyVault/vaults/certificates/import/action'\r\n\
             Resource: '/subscriptions/sub-1/resourcegroups/rg-1/providers/microsoft.keyvault/vaults/rbacvault/certificates/web'\r\n\
             Assignment: (not found)\r\nDenyAssignmentId: null\r\n\
             DecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: rbacvault;location=eastus\r\n",
            app().oid
        )
    );
    // Certificates Officer, vault-wide: certificates, issuers and contacts, but no secrets.
    for (method, path) in [
        (Method::POST, "/certificates/x/import"),
        (Method::DELETE, "/deletedcertificates/x"),
        (Method::PATCH, "/certificates/issuers/dc"),
        (Method::GET, "/certificates/contacts"),
        (Method::DELETE, "/certificates/contacts"),
    ] {
        assert_eq!(denied(&a, v, &ops(), method, path), None, "{path}");
    }
    let (message, _) = denied(&a, v, &ops(), Method::GET, "/secrets/x").unwrap();
    assert!(message.contains("Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'"));
    assert!(message.contains("/vaults/rbacvault/secrets/x'"));
    let (message, _) = denied(&a, v, &app(), Method::GET, "/certificates/issuers").unwrap();
    assert!(message.contains("Action: 'Microsoft.KeyVault/vaults/certificatecas/read'"));
    assert!(message.contains("Resource: '/subscriptions/sub-1/resourcegroups/rg-1/providers/microsoft.keyvault/vaults/rbacvault'"));
}

#[test]
fn roles_match_azure_wildcards() {
    let officer = roles::find("key vault certificates officer").unwrap();
    assert!(officer.allows("Microsoft.KeyVault/vaults/certificates/purge/action"));
    assert!(officer.allows("Microsoft.KeyVault/vaults/certificatecas/delete"));
    assert!(!officer.allows("Microsoft.KeyVault/vaults/secrets/getSecret/action"));
    let reader = roles::find("Key Vault Reader").unwrap();
    assert!(reader.allows("Microsoft.KeyVault/vaults/certificates/read"));
    assert!(reader.allows("Microsoft.KeyVault/vaults/certificatecas/read"));
    assert!(!reader.allows("Microsoft.KeyVault/vaults/secrets/getSecret/action"));
    assert!(!reader.allows("Microsoft.KeyVault/vaults/certificates/delete"));
    assert!(roles::find("Key Vault Administrator")
        .unwrap()
        .allows("Microsoft.KeyVault/vaults/secrets/getSecret/action"));
    assert!(roles::find("Owner").is_none());
}

/// `Err` message of loading `text` as a file.
fn load_error(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.toml");
    std::fs::write(&path, text).unwrap();
    match Access::load(Some(&path)) {
        Err(Error::Config(message)) => {
            assert!(message.contains("access.toml"), "{message}");
            message
        }
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("loaded: {text}"),
    }
}

#[test]
fn load_errors_name_the_file_and_the_problem() {
    let principal = "[[principals]]\nname = \"app\"\nclient_id = \"c1\"\n";
    let cases: &[(String, &str)] = &[
        ("tenant_id = \n".into(), "line 1"),
        (
            format!("{principal}colour = \"red\"\n"),
            "unknown field `colour`",
        ),
        (
            format!("{principal}[[principals]]\nname = \"app\"\nclient_id = \"c2\"\n"),
            "duplicate principal name \"app\"",
        ),
        (
            format!("{principal}[[principals]]\nname = \"b\"\nclient_id = \"C1\"\n"),
            "duplicate client_id \"C1\"",
        ),
        (
            format!("{principal}[[vaults]]\nname = \"v1v\"\n[[vaults.access_policies]]\nprincipal = \"nobody\"\n"),
            "unknown principal \"nobody\"",
        ),
        (
            format!("{principal}[[vaults]]\nname = \"v1v\"\n[[vaults.role_assignments]]\nprincipal = \"app\"\nrole = \"Owner\"\n"),
            "unknown role \"Owner\" (built-in roles: \"Key Vault Administrator\"",
        ),
        (
            format!("{principal}[[vaults]]\nname = \"v1v\"\n[[vaults.access_policies]]\nprincipal = \"app\"\ncertificates = [\"get\", \"fly\"]\n"),
            "unknown certificates permission \"fly\"",
        ),
        (
            format!("{principal}[[vaults]]\nname = \"v1v\"\n[[vaults.role_assignments]]\nprincipal = \"app\"\nrole = \"Key Vault Reader\"\nscope = \"/certificates/\"\n"),
            "malformed scope \"/certificates/\"",
        ),
        (
            format!("{principal}[[vaults]]\nname = \"my_vault\"\n"),
            "invalid vault name \"my_vault\"",
        ),
        (
            format!("{principal}[[vaults]]\nname = \"v1v\"\nauthorization = \"acl\"\n"),
            "unknown variant `acl`",
        ),
        (
            format!("{principal}certificate = \"missing.pem\"\n"),
            "missing.pem does not exist",
        ),
    ];
    for (text, expected) in cases {
        let message = load_error(text);
        assert!(
            message.contains(expected),
            "{expected:?} not in {message:?}"
        );
    }
}

#[test]
fn certificate_paths_resolve_against_the_file_and_survive_a_save() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    std::fs::write(dir.path().join("certs/app.pem"), "pem").unwrap();
    let path = dir.path().join("access.toml");
    std::fs::write(
        &path,
        "[[principals]]\nname = \"app\"\nclient_id = \"c1\"\ncertificate = \"certs/app.pem\"\n",
    )
    .unwrap();
    let a = Access::load(Some(&path)).unwrap();
    assert_eq!(
        a.doc().principals[0].certificate.as_deref(),
        Some(dir.path().join("certs/app.pem").as_path())
    );
    // A save writes the file (and round-trips through TOML); a reload reads it back.
    let mut doc = load::prepare(load::from_toml(DOC, "t").unwrap(), None, "t").unwrap();
    doc.principals.push(a.doc().principals[0].clone());
    doc.principals[2].name = "app2".into();
    a.save(doc.clone()).unwrap();
    assert!(a.reload().unwrap());
    assert_eq!(*a.doc(), doc);
    // A broken file on reload leaves the document in force.
    std::fs::write(&path, "[[principals]\n").unwrap();
    assert!(a.reload().is_err());
    assert_eq!(*a.doc(), doc);
    assert!(!Access::new(AccessDoc::default()).reload().unwrap());
    assert!(Access::load(Some(Path::new("/no/such/access.toml"))).is_err());
}

#[test]
fn json_documents_load_like_toml() {
    let toml_doc = load::from_toml(DOC, "t").unwrap();
    let json = serde_json::to_string(&toml_doc).unwrap();
    assert_eq!(load::from_json(&json, "t").unwrap(), toml_doc);
    assert!(load::from_json("{\"principals\": 3}", "body")
        .unwrap_err()
        .starts_with("body: "));
}

/// The route table's source.
const ROUTES_RS: &str = include_str!("../http/routes.rs");

/// Every `.route(PATH, METHODS)` of `http/routes.rs` outside `/_admin` and `/metrics`, read
/// from its source, as (method, path template) pairs.
fn routes_in_router() -> Vec<(Method, String)> {
    let source = ROUTES_RS.split("#[cfg(test)]").next().unwrap_or(ROUTES_RS);
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let args = balanced(rest);
        let (path_expr, methods) = split_top_level_comma(args);
        let path = resolve_path(path_expr.trim());
        if path.starts_with("/_admin") || path == "/metrics" {
            continue;
        }
        for word in ["get", "post", "put", "patch", "delete"] {
            let needle = format!("{word}(");
            let mut from = 0;
            while let Some(i) = methods[from..].find(&needle) {
                let pos = from + i;
                let before = methods[..pos].chars().last();
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    out.push((
                        Method::from_bytes(word.to_uppercase().as_bytes()).unwrap(),
                        path.clone(),
                    ));
                }
                from = pos + needle.len();
            }
        }
    }
    assert!(out.len() > 20, "the route table was not parsed: {out:?}");
    out
}

/// The text up to the parenthesis that closes the one just opened.
fn balanced(text: &str) -> &str {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return &text[..i],
            ')' => depth -= 1,
            _ => {}
        }
    }
    panic!("unbalanced .route( in routes.rs")
}

fn split_top_level_comma(args: &str) -> (&str, &str) {
    let mut depth = 0;
    for (i, c) in args.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return (&args[..i], &args[i + 1..]),
            _ => {}
        }
    }
    panic!("a .route( without methods: {args}")
}

/// A path argument: a literal, `&format!("…")` over the `{word}_path` variables, or a const.
fn resolve_path(expr: &str) -> String {
    let expr = expr.trim_start_matches('&');
    let variable = |name: &str| -> String {
        if let Some(word) = name.strip_suffix("_path") {
            return format!("/certificates/{word}");
        }
        // A `const NAME: &str = "…";` of routes.rs itself (read from the text, so access does
        // not import the front end it sits under).
        let decl = format!("const {name}: &str = \"");
        let at = ROUTES_RS
            .find(&decl)
            .unwrap_or_else(|| panic!("routes.rs names a path this test cannot read: {name}"));
        let value = &ROUTES_RS[at + decl.len()..];
        value[..value.find('"').unwrap()].to_string()
    };
    if let Some(lit) = expr.strip_prefix('"').and_then(|e| e.strip_suffix('"')) {
        return lit.to_string();
    }
    if let Some(fmt) = expr
        .strip_prefix("format!(\"")
        .and_then(|e| e.strip_suffix("\")"))
    {
        let mut out = String::new();
        let mut chars = fmt.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    out.push_str(&variable(&name));
                }
                c => out.push(c),
            }
        }
        return out;
    }
    variable(expr)
}

#[test]
fn every_route_of_the_router_has_a_permission_and_an_action() {
    let routes = routes_in_router();
    for (method, path) in &routes {
        assert!(
            OPERATIONS
                .iter()
                .any(|op| op.route == path && op.method == method),
            "{method} {path} has no row in access::actions::OPERATIONS"
        );
    }
    for op in OPERATIONS {
        assert!(
            routes.iter().any(|(m, p)| p == op.route && *m == op.method),
            "{} {} is in OPERATIONS but not in the router",
            op.method,
            op.route
        );
        assert!(op.category.words().contains(&op.permissions[0]));
        assert!(
            roles::find("Key Vault Administrator")
                .unwrap()
                .allows(op.data_action),
            "{}",
            op.data_action
        );
    }
}

#[test]
fn every_operation_is_found_by_its_own_route() {
    for op in OPERATIONS {
        let path = op
            .route
            .replace("{name}", "web")
            .replace("{version}", "v1")
            .replace("{issuer}", "dc");
        let found = lookup(&op.method, &path).unwrap_or_else(|| panic!("{path}"));
        assert!(std::ptr::eq(found.op, op), "{} {path}", op.method);
    }
    // Static words win over names, as in the router; a wrong method is the router's 405.
    let issuers = lookup(&Method::GET, "/certificates/issuers").unwrap();
    assert_eq!(issuers.op.route, "/certificates/issuers");
    assert_eq!(issuers.op.category, Category::Certificates);
    assert!(lookup(&Method::GET, "/certificates/web/create").is_none());
    assert!(lookup(&Method::GET, "/nothing").is_none());
    assert!(lookup(&Method::GET, "/certificates/a/b/c/d/e/f/g/h").is_none());
    assert_eq!(
        lookup(&Method::GET, "/certificates/w%2Deb")
            .unwrap()
            .name
            .as_deref(),
        Some("w-eb")
    );
}
