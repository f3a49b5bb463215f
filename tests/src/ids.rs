//! Key Vault object ids (`{vault}/{collection}/{name}[/{version}]`): splitting them and checking
//! the version format.

/// Last path segments of a Key Vault id: `(collection, name, version)`.
pub fn split_id(id: &str) -> (String, String, Option<String>) {
    let url = url::Url::parse(id).unwrap_or_else(|err| panic!("id {id:?} is not a URL: {err}"));
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    assert!(
        segments.len() == 2 || segments.len() == 3,
        "id {id:?} must have 2 or 3 path segments"
    );
    (
        segments[0].to_string(),
        segments[1].to_string(),
        segments.get(2).map(|s| s.to_string()),
    )
}

/// The version of a certificate/key/secret id (panics if the id has none).
pub fn version_of(id: &str) -> String {
    let (_, _, version) = split_id(id);
    let version = version.unwrap_or_else(|| panic!("id {id:?} has no version"));
    assert!(
        is_version(&version),
        "version {version:?} is not 32 lowercase hex digits"
    );
    version
}

pub fn is_version(v: &str) -> bool {
    v.len() == 32
        && v.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
