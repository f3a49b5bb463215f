//! The verified caller of a request: who the token says it is.

/// Claims of a verified access token that access decisions and 403 messages use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `appid`: the application (client) id.
    pub appid: String,
    /// `oid`: the principal's object id.
    pub oid: String,
    /// `tid`: the tenant.
    pub tid: String,
}

impl Caller {
    /// `iss` as Key Vault names it in messages: `https://sts.windows.net/{tid}/`.
    pub fn iss(&self) -> String {
        format!("https://sts.windows.net/{}/", self.tid)
    }

    /// `appid=…;oid=…;iss=…`, the form Key Vault's 403 messages use.
    pub fn describe(&self) -> String {
        format!("appid={};oid={};iss={}", self.appid, self.oid, self.iss())
    }
}
