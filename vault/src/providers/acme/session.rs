//! One ACME CA as vault's issuers use it: the account of each issuer (made or found with
//! newAccount, §7.3: the CA answers an existing account's URL for a known key, so after a
//! restart the same call finds it again), requests signed as that account, and what the
//! adapter remembers between calls: the CSR of each order it has yet to finalize (also on disk,
//! `pending.rs`), and the http-01 tokens / tls-alpn-01 names it published per order.

use super::client::Client;
use super::http01::Http01Tokens;
use super::jws::{external_account_binding, AccountKey};
use super::keys::KeyStore;
use super::pending::{Pending, PendingStore};
use super::tlsalpn01::TlsAlpnCerts;
use crate::providers::http::Answer;
use crate::providers::types::{Credentials, ProviderError};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An issuer's account at the CA.
pub(crate) struct Account {
    pub key: AccountKey,
    /// The account URL (`kid`).
    pub url: String,
}

pub(crate) struct Session {
    /// `ACME` or `ACME-<label>`: names the account keys.
    pub provider: String,
    pub client: Client,
    keys: KeyStore,
    pub tokens: Option<Http01Tokens>,
    pub alpn: Option<TlsAlpnCerts>,
    /// Roots that complete delivered chains (DER, from `--provider-ca`).
    pub anchors: Vec<Vec<u8>>,
    /// Accounts by issuer name; the async lock also serializes first uses (one key each).
    accounts: tokio::sync::Mutex<HashMap<String, Arc<Account>>>,
    /// Orders to finalize, by order URL (and on disk, for after a restart).
    pending: Mutex<HashMap<String, Pending>>,
    pending_store: PendingStore,
    /// Challenge answers published, by order URL.
    published: Mutex<HashMap<String, Vec<Published>>>,
}

/// One challenge answer on one of vault's responders.
enum Published {
    /// An http-01 token.
    Token(String),
    /// A name whose tls-alpn-01 certificate is presented.
    Name(String),
}

impl Session {
    pub(crate) fn new(
        provider: String,
        client: Client,
        keys: KeyStore,
        pending_store: PendingStore,
        tokens: Option<Http01Tokens>,
        alpn: Option<TlsAlpnCerts>,
        anchors: Vec<Vec<u8>>,
    ) -> Self {
        Session {
            provider,
            client,
            keys,
            tokens,
            alpn,
            anchors,
            accounts: Default::default(),
            pending: Default::default(),
            pending_store,
            published: Default::default(),
        }
    }

    /// The issuer's account, made (or found again) on first use.
    pub(crate) async fn account(
        &self,
        credentials: &Credentials,
    ) -> Result<Arc<Account>, ProviderError> {
        let mut accounts = self.accounts.lock().await;
        if let Some(account) = accounts.get(&credentials.issuer) {
            return Ok(account.clone());
        }
        let key = self
            .keys
            .load_or_create(&self.provider, &credentials.issuer)
            .map_err(|message| ProviderError::Config { message })?;
        let directory = self.client.directory().await?;
        let mut payload = json!({"termsOfServiceAgreed": true});
        let eab_kid = credentials.account_id.as_deref().map(str::trim);
        let eab_key = credentials.pwd.as_deref().map(str::trim);
        match (eab_kid, eab_key) {
            (Some(kid), Some(hmac)) if !kid.is_empty() && !hmac.is_empty() => {
                let hmac =
                    shared::b64::decode_lenient(hmac).map_err(|_| ProviderError::Config {
                        message:
                            "The ACME issuer's EAB HMAC key (credentials.pwd) is not base64url."
                                .into(),
                    })?;
                payload["externalAccountBinding"] =
                    external_account_binding(key.jwk(), kid, &hmac, &directory.new_account);
            }
            _ if directory.eab_required => {
                return Err(ProviderError::Config {
                    message: "The ACME CA requires external account binding: set the issuer's \
                              credentials (account_id = EAB key id, pwd = base64url HMAC key)."
                        .into(),
                })
            }
            _ => {}
        }
        let what = "ACME newAccount";
        let answer = self
            .client
            .post(
                what,
                &key,
                None,
                &directory.new_account,
                Some(&payload),
                None,
            )
            .await?;
        let url = location(what, &answer)?;
        let account = Arc::new(Account { key, url });
        accounts.insert(credentials.issuer.clone(), account.clone());
        Ok(account)
    }

    /// A request signed as the issuer's account. `accountDoesNotExist` (the CA forgot it)
    /// drops the cached account so the next call makes it again.
    pub(crate) async fn call(
        &self,
        what: &str,
        credentials: &Credentials,
        url: &str,
        payload: Option<&Value>,
        accept: Option<&str>,
    ) -> Result<Answer, ProviderError> {
        let account = self.account(credentials).await?;
        let result = self
            .client
            .post(what, &account.key, Some(&account.url), url, payload, accept)
            .await;
        if let Err(ProviderError::NotSent { message }) = &result {
            if message.contains("accountDoesNotExist") {
                self.accounts.lock().await.remove(&credentials.issuer);
            }
        }
        result
    }

    pub(crate) fn remember(&self, order_url: &str, pending: Pending) {
        self.pending_store.save(order_url, &pending);
        if let Ok(mut map) = self.pending.lock() {
            map.insert(order_url.to_string(), pending);
        }
    }

    pub(crate) fn pending(&self, order_url: &str) -> Option<Pending> {
        let known = self.pending.lock().ok()?.get(order_url).cloned();
        known.or_else(|| self.pending_store.load(order_url))
    }

    /// Whether another operation of this process owns the order.
    pub(crate) fn claimed_by_other(&self, order_url: &str, reference: &str) -> bool {
        self.pending(order_url)
            .is_some_and(|p| p.reference != reference)
    }

    pub(crate) fn forget(&self, order_url: &str) {
        if let Ok(mut map) = self.pending.lock() {
            map.remove(order_url);
        }
        self.pending_store.remove(order_url);
        self.withdraw(order_url);
    }

    /// Publishes an http-01 answer; `false` when vault runs no http-01 responder.
    pub(crate) fn publish(&self, order_url: &str, token: &str, key_authorization: String) -> bool {
        let Some(tokens) = &self.tokens else {
            return false;
        };
        tokens.publish(token, key_authorization);
        self.published(order_url, Published::Token(token.to_string()));
        true
    }

    /// Presents the tls-alpn-01 certificate for `name`; `Ok(false)` when vault runs no
    /// tls-alpn-01 responder.
    pub(crate) fn publish_alpn(
        &self,
        order_url: &str,
        name: &str,
        key_authorization: &str,
    ) -> Result<bool, ProviderError> {
        let Some(alpn) = &self.alpn else {
            return Ok(false);
        };
        alpn.publish(name, key_authorization)
            .map_err(|message| ProviderError::Config { message })?;
        self.published(order_url, Published::Name(name.to_string()));
        Ok(true)
    }

    fn published(&self, order_url: &str, answer: Published) {
        if let Ok(mut map) = self.published.lock() {
            map.entry(order_url.to_string()).or_default().push(answer);
        }
    }

    /// Withdraws the order's challenge answers (it has left `pending`).
    pub(crate) fn withdraw(&self, order_url: &str) {
        let answers = self
            .published
            .lock()
            .ok()
            .and_then(|mut map| map.remove(order_url));
        for answer in answers.into_iter().flatten() {
            match (answer, &self.tokens, &self.alpn) {
                (Published::Token(token), Some(tokens), _) => tokens.withdraw(&token),
                (Published::Name(name), _, Some(alpn)) => alpn.withdraw(&name),
                _ => {}
            }
        }
    }
}

/// The `Location` header of a creating answer (account URL, order URL).
pub(crate) fn location(what: &str, answer: &Answer) -> Result<String, ProviderError> {
    answer
        .headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| ProviderError::unreadable(format!("{what}: the answer has no Location")))
}
