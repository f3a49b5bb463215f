//! What vault's `--auth entra` tests share: a token the way an SDK's client-secret credential
//! gets one, from vault's own Entra-shaped endpoint.

/// A token for `https://vault.azure.net` by client credentials with a secret
/// (`POST {base}/{tenant}/oauth2/v2.0/token`); asserts the endpoint answers 200.
pub async fn client_secret_token(
    client: &reqwest::Client,
    base: &str,
    tenant: &str,
    client_id: &str,
    secret: &str,
) -> String {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", "https://vault.azure.net/.default"),
        ])
        .finish();
    let resp = client
        .post(format!("{base}/{tenant}/oauth2/v2.0/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}
